"""Charts come back as real PNG or SVG files, titled and labelled, and say "no data" for empty input."""

import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from test_kpis import clearance_frame, decisions_frame, outcomes_frame, tasks_and_events

from smartcustoms import charts
from smartcustoms.control import charts as control_charts
from smartcustoms.control import kpis
from smartcustoms.control import service as control_service

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def texts(svg: bytes) -> list[str]:
    """Every text in the SVG (the chart keeps its text as text)."""
    root = ET.fromstring(svg)
    return [t.strip() for t in root.itertext() if t.strip()]


def kpi_charts(fmt: str) -> dict[str, bytes]:
    tasks, events = tasks_and_events()
    tables = kpis.summary(clearance_frame(), tasks, events, decisions_frame(), outcomes_frame())
    return {
        "Share of declarations released within t hours of lodgement, by lane":
            control_charts.release_time_chart(clearance_frame(), fmt),
        "Declarations per day by lane": control_charts.lanes_per_day_chart(clearance_frame(), fmt),
        "Hit rate by selection source, per week": control_charts.hit_rate_chart(tables["weekly_hit_rates"], fmt),
        "Duty recovered per month by selection source":
            control_charts.revenue_chart(tables["revenue_by_month_and_source"], fmt),
        "Hours from scheduling to completion: remote versus on site":
            control_charts.control_time_chart(tasks, events, fmt),
    }


def test_kpi_charts_as_png_carry_the_signature_and_their_title():
    for title, png in kpi_charts("png").items():
        assert png.startswith(PNG_SIGNATURE), title
        assert len(png) > 10_000, title  # a drawn chart, not an empty canvas
        assert title.encode() in png  # the title sits in the PNG's metadata too


def test_kpi_charts_as_svg_parse_and_read_out_title_labels_and_legend():
    svgs = kpi_charts("svg")
    for title, svg in svgs.items():
        assert title in texts(svg)
    release = texts(svgs["Share of declarations released within t hours of lodgement, by lane"])
    for label in ("hours from lodgement to release", "share released within t hours", "green (n=2)",
                  "yellow (n=1)", "red (n=3)", "100%"):
        assert label in release
    control = texts(svgs["Hours from scheduling to completion: remote versus on site"])
    assert {"physical (on site)", "remote", "documentary (desk)", "n=2"} <= set(control)
    hits = texts(svgs["Hit rate by selection source, per week"])
    assert {"model", "profile", "random", "override", "audit", "all"} <= set(hits)


def test_revenue_chart_leaves_out_the_total_rows():
    attributed = kpis.attribute_outcomes(outcomes_frame(), decisions_frame(), clearance=clearance_frame())
    words = texts(control_charts.revenue_chart(kpis.revenue(attributed, "office_id"), "svg", currency="EUR"))
    assert {"Duty recovered per office", "O1", "O2", "unknown", "duty recovered (EUR)"} <= set(words)
    assert "all" not in words
    with pytest.raises(charts.ChartError, match="month, office_id or source"):
        control_charts.revenue_chart(pd.DataFrame({"duty_recovered": [1.0]}))


def test_kpi_chart_draws_each_chart_by_its_name():
    tasks, events = tasks_and_events()
    frames = {"clearance": clearance_frame(), "tasks": tasks, "events": events}
    tables = kpis.summary(clearance_frame(), tasks, events, decisions_frame(), outcomes_frame())
    drawn = {name: control_service.kpi_chart(name, frames, tables, "svg", currency="EUR")
             for name in control_service.KPI_CHARTS}
    assert "Duty recovered per month by selection source" in texts(drawn["revenue"])
    assert "Declarations per day by lane" in texts(drawn["lanes_per_day"])
    with pytest.raises(KeyError):
        control_service.kpi_chart("pie", frames, tables)


def test_empty_input_gives_a_chart_that_says_no_data():
    no_outcomes = kpis.attribute_outcomes(kpis.empty(kpis.OUTCOMES), kpis.empty(kpis.DECISIONS))
    empty = [
        control_charts.release_time_chart(kpis.empty(kpis.CLEARANCE), "svg"),
        control_charts.lanes_per_day_chart(kpis.empty(kpis.CLEARANCE), "svg"),
        control_charts.hit_rate_chart(kpis.weekly(no_outcomes), "svg"),
        control_charts.revenue_chart(kpis.revenue(no_outcomes, ["month", "source"]), "svg"),
        control_charts.control_time_chart(kpis.empty(kpis.TASKS), kpis.empty(kpis.EVENTS), "svg"),
        charts.histogram([], "Nothing", "x", fmt="svg"),
    ]
    for svg in empty:
        assert "no data" in texts(svg)
    held_only = clearance_frame().assign(released_at=pd.NaT, status="held")  # nothing released yet
    assert "no data" in texts(control_charts.release_time_chart(held_only, "svg"))
    assert charts.line_chart(pd.DataFrame({"x": [], "y": []}), "x", "y", "Empty", "x", "y").startswith(PNG_SIGNATURE)


def test_generic_helpers_draw_wide_and_long_frames():
    wide = pd.DataFrame({"office": ["O1", "O2"], "controls": [3, 5], "hits": [1, 2]})
    bars = texts(charts.bar_chart(wide, "office", ["controls", "hits"], "Controls and hits per office", "office",
                                  "count", fmt="svg"))
    assert {"Controls and hits per office", "O1", "O2", "controls", "hits", "office", "count"} <= set(bars)
    long = pd.DataFrame({"day": [1, 2, 1, 2], "lane": ["red", "red", "green", "green"], "n": [1, 2, 3, 4]})
    lines = texts(charts.line_chart(long, "day", "n", "Lanes", "day", "declarations", series="lane",
                                    colours=charts.LANE_COLOURS, fmt="svg"))
    assert lines.index("green") < lines.index("red")  # legend in the order of the colours given
    hist = charts.histogram([1, 2, 2, 3, 7], "Spread of hours", "hours", fmt="png")
    assert hist.startswith(PNG_SIGNATURE) and len(hist) > 5_000


def test_bad_format_or_column_is_refused_before_drawing():
    with pytest.raises(charts.ChartError, match="unknown chart format 'pdf'"):
        control_charts.release_time_chart(clearance_frame(), "pdf")
    with pytest.raises(charts.ChartError, match=r"missing column\(s\) \['hit_rate'\]"):
        control_charts.hit_rate_chart(pd.DataFrame({"week": [], "source": []}))
    with pytest.raises(ValueError, match="missing column"):
        charts.bar_chart(pd.DataFrame({"a": [1]}), "a", "b", "t", "x", "y")
