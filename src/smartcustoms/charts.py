"""Charts as PNG or SVG bytes: generic line, bar and histogram helpers (the KPI charts, drawn with them, are in
smartcustoms.control.charts), and the officer console's charts.

Matplotlib's object API on the Agg canvas (no pyplot, so no global state: safe in a web server). Every chart
has a title and axis labels, uses the Okabe-Ito colours (readable with colour blindness) with line styles
and markers besides, stores its title in the file's metadata, keeps SVG text as text, and says "no data"
rather than failing on an empty frame.
"""

import io
from collections.abc import Sequence
from itertools import cycle

import matplotlib
import numpy as np
import pandas as pd
from babel.numbers import format_decimal
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from smartcustoms.frames import ordered

FORMATS = ("png", "svg")
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#999999", "#000000")
LANE_COLOURS = {"green": "#009E73", "yellow": "#E69F00", "red": "#D55E00", "blue": "#0072B2"}
SOURCE_COLOURS = {"model": "#0072B2", "profile": "#E69F00", "screen": "#CC79A7", "random": "#999999",
                  "override": "#56B4E9", "audit": "#009E73", "all": "#000000"}
STYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
MAX_TICKS = 16
ECDF_POINTS = 1000  # steps drawn per curve, at most: a large study stays a small file


class ChartError(ValueError):
    """A chart that cannot be drawn as asked (unknown format, missing column)."""


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ChartError(f"unknown chart format {fmt!r}: use one of {', '.join(FORMATS)}")


def _need(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        raise ChartError(f"chart: missing column(s) {missing}")


def figure(title: str, fmt: str, size: tuple[float, float] = (9, 4.8)) -> tuple[Figure, Axes]:
    """A new figure with one titled axes (checks the format first, before any work)."""
    _check(fmt)
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(title)
    return fig, ax


def render(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes, its title in the file's metadata."""
    _check(fmt)
    title = fig.axes[0].get_title() if fig.axes else ""
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text: searchable, read aloud
        fig.savefig(buffer, format=fmt, dpi=110, metadata={"Title": title})
    return buffer.getvalue()


def _number(value: float, _position=None) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


def _locale_number(locale: str):
    """`_number` as `locale` writes numbers: 1,234 and 51.55 in English; 1 234 and 51,55 in French."""
    def number(value: float, _position=None) -> str:
        return format_decimal(round(value) if abs(value) >= 1000 else value, locale=locale)
    return number


def _labelled(fig: Figure, ax: Axes, fmt: str, xlabel: str, ylabel: str, percent: bool = False) -> bytes:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0) if percent else FuncFormatter(_number))
    ax.grid(axis="y", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the plot, never on it
    return render(fig, fmt)


def no_data(title: str, fmt: str = "png", xlabel: str = "", ylabel: str = "") -> bytes:
    """An empty chart that says so."""
    fig, ax = figure(title, fmt)
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, fontsize=16, color="#444444")
    ax.set_xticks([])
    ax.set_yticks([])
    return _labelled(fig, ax, fmt, xlabel, ylabel)


def _wide(frame: pd.DataFrame, x: str, y: str | Sequence[str], series: str | None,
          order: Sequence[str] = ()) -> pd.DataFrame:
    """One column per line or bar series (the names in ``order`` first), indexed by x."""
    if series is not None:
        _need(frame, [x, series, y])
        wide = frame.pivot_table(index=x, columns=series, values=y, aggfunc="sum").sort_index()
        wide.columns = [str(c) for c in wide.columns]
        return wide[ordered(wide.columns, tuple(order))]
    ys = [y] if isinstance(y, str) else list(y)
    _need(frame, [x, *ys])
    return frame.set_index(x)[ys]


def _colours(names: Sequence[str], colours: dict[str, str] | None) -> list[str]:
    spare = cycle(c for c in OKABE_ITO if c not in (colours or {}).values())
    return [(colours or {}).get(name) or next(spare) for name in names]


def line_chart(frame: pd.DataFrame, x: str, y: str | Sequence[str], title: str, xlabel: str, ylabel: str, *,
               series: str | None = None, colours: dict[str, str] | None = None, percent: bool = False,
               fmt: str = "png") -> bytes:
    """Lines of y against x: one per column of y, or one per value of ``series`` in a long frame."""
    _check(fmt)
    if frame.empty:
        return no_data(title, fmt, xlabel, ylabel)
    wide = _wide(frame, x, y, series, list(colours or ()))
    fig, ax = figure(title, fmt)
    single = len(wide.columns) == 1 and series is None  # one line: the axis label says it all
    for i, (name, colour) in enumerate(zip(wide.columns, _colours(list(wide.columns), colours))):
        values = wide[name].dropna()
        ax.plot(values.index, values.to_numpy(), label="_nolegend_" if single else str(name), color=colour,
                linestyle=STYLES[i % len(STYLES)], marker=MARKERS[i % len(MARKERS)], markersize=4, linewidth=1.8)
    if percent:
        ax.set_ylim(bottom=0)
    if pd.api.types.is_datetime64_any_dtype(wide.index):
        fig.autofmt_xdate()
    return _labelled(fig, ax, fmt, xlabel, ylabel, percent)


def bar_chart(frame: pd.DataFrame, x: str, y: str | Sequence[str], title: str, xlabel: str, ylabel: str, *,
              series: str | None = None, stacked: bool = False, colours: dict[str, str] | None = None,
              percent: bool = False, fmt: str = "png") -> bytes:
    """Bars of y per category x: one set per column of y or per value of ``series``, side by side or stacked."""
    _check(fmt)
    if frame.empty:
        return no_data(title, fmt, xlabel, ylabel)
    wide = _wide(frame, x, y, series, list(colours or ())).fillna(0)
    fig, ax = figure(title, fmt)
    single = len(wide.columns) == 1 and series is None  # one series: the axis label says it all
    positions = range(len(wide))
    crowded = len(wide) > 60  # thin bars: no gaps or edges, which would shimmer
    width = (1.0 if crowded else 0.8) if stacked or wide.shape[1] == 1 else 0.8 / wide.shape[1]
    bottom = pd.Series(0.0, index=wide.index)
    for i, (name, colour) in enumerate(zip(wide.columns, _colours(list(wide.columns), colours))):
        offset = 0 if stacked or wide.shape[1] == 1 else (i - (wide.shape[1] - 1) / 2) * width
        ax.bar([p + offset for p in positions], wide[name].to_numpy(), width=width, color=colour,
               label="_nolegend_" if single else str(name),
               bottom=bottom.to_numpy() if stacked else None, edgecolor="white", linewidth=0 if crowded else 0.5)
        if stacked:
            bottom += wide[name]
    labels = [v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else str(v) for v in wide.index]
    step = max(1, -(-len(labels) // MAX_TICKS))  # at most MAX_TICKS labels
    ax.set_xticks(list(positions)[::step], labels[::step], rotation=45 if len(labels) > 6 else 0,
                  ha="right" if len(labels) > 6 else "center")
    ax.yaxis.set_major_locator(MaxNLocator(integer=not percent, steps=[1, 2, 2.5, 5, 10]))
    return _labelled(fig, ax, fmt, xlabel, ylabel, percent)


def histogram(values: Sequence[float] | pd.Series, title: str, xlabel: str, ylabel: str = "count", *,
              bins: int = 20, colour: str = OKABE_ITO[0], fmt: str = "png") -> bytes:
    """The distribution of one set of values."""
    _check(fmt)
    values = pd.Series(values, dtype=float).dropna()
    if values.empty:
        return no_data(title, fmt, xlabel, ylabel)
    fig, ax = figure(title, fmt)
    ax.hist(values.to_numpy(), bins=bins, color=colour, edgecolor="white")
    return _labelled(fig, ax, fmt, xlabel, ylabel)


# --- KPI charts ----------------------------------------------------------------------------------------------


# --- officer console: why a declaration was selected -------------------------------------------------------------

RAISES, LOWERS = "#D55E00", "#0072B2"  # Okabe-Ito vermillion and blue; bars also carry their signed value


def unit_price_band_chart(declared: float | None, p10: float | None, p90: float | None, median: float | None = None,
                          *, title: str, xlabel: str, band_label: str = "reference band (P10 to P90)",
                          median_label: str = "reference median", declared_label: str = "declared unit price",
                          locale: str | None = None, fmt: str = "svg") -> bytes:
    """One goods item's declared unit price (a diamond) against the reference unit prices of comparable imports:
    the band from P10 to P90 (shaded) and its median (a dashed line), on one horizontal axis. The values are
    written beside the marks; a logarithmic axis is used when they span more than a factor of 50. "no data" when
    the band or the declared price is missing. Numbers as `locale` writes them (51,55 in French), else as
    Python does."""
    _check(fmt)
    number = _number if locale is None else _locale_number(locale)
    values = [v for v in (declared, p10, p90, median) if v is not None and np.isfinite(v)]
    if declared is None or p10 is None or p90 is None or len(values) < 3 or min(values) <= 0:
        return no_data(title, fmt, xlabel)
    fig, ax = figure(title, fmt, size=(8, 2.6))
    low, high = min(values), max(values)
    logarithmic = high / low > 50
    if logarithmic:
        ax.set_xscale("log")
        ax.set_xlim(low / 1.6, high * 1.6)
    else:
        ax.set_xlim(0, high * 1.18)
    ax.axvspan(p10, p90, ymin=0.25, ymax=0.75, facecolor=OKABE_ITO[5], alpha=0.45, label=band_label, hatch="//",
               edgecolor=OKABE_ITO[0])
    if median is not None and np.isfinite(median):
        ax.axvline(median, ymin=0.25, ymax=0.75, color="#000000", linestyle="--", linewidth=1.5, label=median_label)
    ax.plot([declared], [0.5], marker="D", markersize=11, color=RAISES, linestyle="none", label=declared_label,
            markeredgecolor="#000000")
    ax.annotate(number(round(declared, 2)), (declared, 0.5), xytext=(0, 12), textcoords="offset points",
                ha="center", fontsize=10)
    for value, where, side in ((p10, "P10", "right"), (p90, "P90", "left")):  # outwards: never on each other
        ax.annotate(f"{where} {number(round(value, 2))}", (value, 0.25), xytext=(-3 if side == "right" else 3, -14),
                    textcoords="offset points", ha=side, fontsize=9)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_formatter(FuncFormatter(number))
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    return render(fig, fmt)


def contributions_chart(contributions: pd.Series, *, title: str, xlabel: str, top: int = 10,
                        raises_label: str = "raises the risk", lowers_label: str = "lowers the risk",
                        fmt: str = "svg") -> bytes:
    """The features that moved a model's score most: horizontal bars of their contributions (index: the
    features in words; values: contributions, e.g. log-odds), the `top` largest in size, largest on top; bars
    that raise the score point right in vermillion, those that lower it left in blue, each with its signed
    value written at its end. "no data" for an empty series."""
    _check(fmt)
    values = pd.Series(contributions, dtype=float).dropna()
    if values.empty:
        return no_data(title, fmt, xlabel)
    values = values.loc[values.abs().sort_values(ascending=False, kind="stable").index[:top]][::-1]
    fig, ax = figure(title, fmt, size=(9, 1.2 + 0.42 * len(values)))
    positions = np.arange(len(values))
    up = values.to_numpy() >= 0
    for mask, colour, label, hatch in ((up, RAISES, raises_label, ""), (~up, LOWERS, lowers_label, "..")):
        if mask.any():
            ax.barh(positions[mask], values.to_numpy()[mask], color=colour, label=label, hatch=hatch,
                    edgecolor="white", height=0.7)
    span = float(values.abs().max()) or 1.0
    for y, value in zip(positions, values.to_numpy()):
        ax.annotate(f"{value:+.2f}", (value, y), xytext=(4 if value >= 0 else -4, 0), textcoords="offset points",
                    ha="left" if value >= 0 else "right", va="center", fontsize=9)
    ax.set_xlim(min(0.0, float(values.min())) - 0.25 * span, max(0.0, float(values.max())) + 0.25 * span)
    ax.axvline(0, color="#000000", linewidth=1)
    ax.set_yticks(positions, [str(name) for name in values.index])
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    return render(fig, fmt)
