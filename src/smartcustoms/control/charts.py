"""The KPI charts (control.kpis drawn with the generic helpers of smartcustoms.charts) as PNG or SVG bytes:
release times per lane, lanes per day, hit rates per week, duty recovered, control times per mode.
`kpi_chart` draws one by its name (`KPI_CHARTS`), for the CLI's files and the analyst's page alike."""

import numpy as np
import pandas as pd

from smartcustoms.charts import (
    ECDF_POINTS,
    LANE_COLOURS,
    OKABE_ITO,
    SOURCE_COLOURS,
    STYLES,
    ChartError,
    _check,
    _colours,
    _labelled,
    _need,
    bar_chart,
    figure,
    line_chart,
    no_data,
)
from smartcustoms.control import kpis
from smartcustoms.control.modes import NAMES


def release_time_chart(clearance: pd.DataFrame, fmt: str = "png") -> bytes:
    """Time Release Study: per lane, the share of declarations released within t hours of lodgement (an
    empirical distribution over all the lane's declarations, so those still held keep a curve below 100%)."""
    title = "Share of declarations released within t hours of lodgement, by lane"
    xlabel, ylabel = "hours from lodgement to release", "share released within t hours"
    _check(fmt)
    frame = kpis.release_durations(clearance)
    if frame["lodgement_to_release_h"].notna().sum() == 0:
        return no_data(title, fmt, xlabel, ylabel)
    fig, ax = figure(title, fmt)
    longest = frame["lodgement_to_release_h"].max()
    for i, lane in enumerate(kpis.ordered(frame["lane"], kpis.LANES)):
        part = frame[frame["lane"] == lane]
        hours = part["lodgement_to_release_h"].dropna().sort_values().to_numpy()
        steps = np.unique(np.linspace(0, len(hours) - 1, min(len(hours), ECDF_POINTS)).astype(int))
        shares = [0.0, *((steps + 1) / len(part))]
        ax.step([0.0, *hours[steps], longest], [*shares, shares[-1]], where="post", linewidth=2,
                color=LANE_COLOURS.get(lane, OKABE_ITO[-2]), linestyle=STYLES[i % len(STYLES)],
                label=f"{lane} (n={len(part):,})")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    return _labelled(fig, ax, fmt, xlabel, ylabel, percent=True)


def lanes_per_day_chart(clearance: pd.DataFrame, fmt: str = "png") -> bytes:
    """Declarations per day, stacked by lane."""
    counts = kpis.lanes_per_day(clearance)
    return bar_chart(counts, "day", "declarations", "Declarations per day by lane", "day the lane was given",
                     "declarations", series="lane", stacked=True, colours=LANE_COLOURS, fmt=fmt)


def hit_rate_chart(weekly: pd.DataFrame, fmt: str = "png") -> bytes:
    """Hit rate per week by selection source (the frame of ``kpis.weekly``)."""
    _need(weekly, ["week", "source", "hit_rate"])
    return line_chart(weekly, "week", "hit_rate", "Hit rate by selection source, per week", "week starting",
                      "hit rate (discrepancies / controls)", series="source", colours=SOURCE_COLOURS,
                      percent=True, fmt=fmt)


def revenue_chart(revenue: pd.DataFrame, fmt: str = "png", currency: str = "") -> bytes:
    """Duty recovered (a frame of ``kpis.revenue``): per month, office or source, stacked by source where the
    frame has it besides; the "all" rows are left out."""
    x = next((c for c in ("month", "office_id", "source") if c in revenue.columns), None)
    if x is None:
        raise ChartError("revenue chart: the frame needs a month, office_id or source column")
    _need(revenue, ["duty_recovered"])
    series = "source" if x != "source" and "source" in revenue.columns else None
    keys = [c for c in (x, series) if c is not None]
    parts = revenue[~revenue[keys].eq(kpis.ALL).any(axis=1)]
    per = {"month": "month", "office_id": "office", "source": "selection source"}[x]
    unit = f" ({currency})" if currency else ""
    title = f"Duty recovered per {per}" + (" by selection source" if series else "")
    return bar_chart(parts, x, "duty_recovered", title, per, f"duty recovered{unit}", series=series, stacked=True,
                     colours=SOURCE_COLOURS, fmt=fmt)


def control_time_chart(tasks: pd.DataFrame, events: pd.DataFrame, fmt: str = "png") -> bytes:
    """Hours from scheduling to completion per control mode: remote versus on site (and documentary)."""
    title = "Hours from scheduling to completion: remote versus on site"
    xlabel = "box: quartiles and median; whiskers: 10th to 90th percentile"
    ylabel = "hours from scheduling to completion"
    _check(fmt)
    frame = kpis.control_durations(tasks, events).dropna(subset=["scheduled_to_completed_h"])
    if frame.empty:
        return no_data(title, fmt, xlabel, ylabel)
    fig, ax = figure(title, fmt)
    modes = kpis.ordered(frame["mode"], kpis.MODES)
    data = [frame.loc[frame["mode"] == mode, "scheduled_to_completed_h"].to_numpy() for mode in modes]
    boxes = ax.boxplot(data, patch_artist=True, widths=0.5, whis=(10, 90), showfliers=False,
                       medianprops={"color": "#000000", "linewidth": 2})
    for box, colour in zip(boxes["boxes"], _colours(modes, {"physical": "#D55E00", "remote": "#0072B2",
                                                            "documentary": "#E69F00"})):
        box.set_facecolor(colour)
        box.set_alpha(0.75)
    ax.set_xticks(range(1, len(modes) + 1), [f"{NAMES.get(m, m)}\nn={len(d):,}" for m, d in zip(modes, data)])
    ax.set_ylim(bottom=0)
    return _labelled(fig, ax, fmt, xlabel, ylabel)


def kpi_chart(name: str, frames: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame], fmt: str = "png",
              currency: str = "") -> bytes:
    """One of `KPI_CHARTS` from the KPI frames (``kpi_data``: clearance, tasks, events) and tables
    (``weekly_hit_rates``, ``revenue_by_month_and_source``). KeyError for an unknown name."""
    if name == "release_times":
        return release_time_chart(frames["clearance"], fmt)
    if name == "lanes_per_day":
        return lanes_per_day_chart(frames["clearance"], fmt)
    if name == "control_times":
        return control_time_chart(frames["tasks"], frames["events"], fmt)
    if name == "hit_rates":
        return hit_rate_chart(tables["weekly_hit_rates"], fmt)
    if name == "revenue":
        return revenue_chart(tables["revenue_by_month_and_source"], fmt, currency=currency)
    raise KeyError(name)
