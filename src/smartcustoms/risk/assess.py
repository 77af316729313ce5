"""assess(frame) -> one decision per declaration: screens, profiles, then selectivity. Pure: the caller gives
fitted screens, the profiles and suppressions in force, and the settings."""

import gc
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from smartcustoms.frames import first_rows, objects, read_once, records
from smartcustoms.risk.profiles import Profile, Suppression, hit_columns
from smartcustoms.risk.selectivity import (
    SelectivitySettings,
    contribution_keys,
    explanation,
    select,
    select_columns,
    top_reason,
)
from smartcustoms.risk.signals import profile_signal_columns, screen_signal_columns

HEADER = ["declaration_id", "office_id", "transport_mode", "acceptance_datetime", "importer_id", "declarant_id"]
READ_ONCE = 64  # goods items up to which the screens read the frame's columns once (frames.read_once)
CONCURRENT_ITEMS = 10_000  # goods items from which a `concurrent` screen scores beside the others (item_columns)
PAUSE_COLLECTOR_ITEMS = 10_000  # goods items from which assess pauses the garbage collector (_collector_paused)


@dataclass
class RiskEngine:
    screens: dict = field(default_factory=dict)  # name -> fitted screen with .score(frame)
    profiles: list[Profile] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    settings: SelectivitySettings = field(default_factory=SelectivitySettings)
    model_version: str | None = None
    # the combined score learned from outcomes (risk.combination.LearnedCombination, fitted); None, a
    # combination that could not be learned, or settings.combination == "fixed": the fixed weights
    combination: object | None = None

    def learned(self):
        """The learned combination in force, or None (fixed weights)."""
        combination = self.combination
        if combination is None or self.settings.combination != "learned":
            return None
        return combination if getattr(combination, "method_", "none") != "none" else None

    def provenance(self) -> dict:
        settings = self.settings.model_dump(mode="json")
        if self.combination is not None and hasattr(self.combination, "describe"):
            settings["learned_combination"] = self.combination.describe()
        return {
            "settings_version": self.settings.version(),
            "settings": settings,
            "profiles": {p.profile_id: p.version for p in self.profiles},
            "model_version": self.model_version,
        }


def score_items(frame: pd.DataFrame, engine: RiskEngine) -> pd.DataFrame:
    """Every screen's columns for every goods item (same index as `frame`)."""
    parts = [screen.score(frame) for screen in engine.screens.values()]
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)


def _screen_columns(screen, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    if hasattr(screen, "score_columns"):
        return screen.score_columns(frame)
    scored = screen.score(frame)
    return {name: scored[name].to_numpy() for name in scored.columns}


def item_columns(frame: pd.DataFrame, engine: RiskEngine) -> dict[str, np.ndarray]:
    """`score_items` as a dict of arrays (a screen's ``score_columns`` when it has one): no frame built. On a large
    batch, a screen that says it spends most of its time outside Python's lock (``concurrent``: the targeting
    model's predictions) scores in a thread beside the others, which use the other core meanwhile; the same
    columns, in the screens' order."""
    screens = engine.screens
    beside = [name for name, screen in screens.items() if getattr(screen, "concurrent", False)]
    if len(frame) < CONCURRENT_ITEMS or not beside or len(beside) == len(screens):
        beside = []
    with ThreadPoolExecutor(max_workers=1) if beside else nullcontext() as pool:
        started = {name: pool.submit(_screen_columns, screens[name], frame) for name in beside}
        parts = {name: _screen_columns(screen, frame) for name, screen in screens.items() if name not in started}
        parts.update({name: future.result() for name, future in started.items()})
    out = {}
    for name in screens:
        out.update(parts[name])
    return out


def assess(frame: pd.DataFrame, engine: RiskEngine, *, explained: bool = False) -> pd.DataFrame:
    """Goods-item rows in, one row per declaration out: lane, source, random flag, risk score, duty at risk,
    each screen's score / share / reason, the profile hits, and the capacity note. The risk score is the learned
    combination's when the engine has one (with each part's ``contribution_<part>``), else the fixed weights'.
    The same steps as `risk_signals` then `decide`, on columns rather than frames: one frame is built, at the
    end (what a declaration being lodged costs is mostly pandas' fixed cost per frame). With `explained`, also
    what `explain` adds (the same frame as ``explain(assess(frame, engine), list(engine.screens))``), written
    from the columns before that one frame is built."""
    with _collector_paused(len(frame) >= PAUSE_COLLECTOR_ITEMS):
        signals, index = signal_columns(frame, engine)
        columns = {**signals, **_decide_columns(signals, engine, index)}
        if explained:
            columns.update(_explanations(columns, list(engine.screens)))
        return pd.DataFrame(columns, index=index)


@contextmanager
def _collector_paused(paused: bool):
    """Python's cyclic garbage collector paused (when `paused` and it runs): a large batch creates hundreds of
    thousands of lists and dicts (the reasons as codes), and each of the collector's passes walks all of them
    (about a fifth of the CPU time of a batch of 100,000 declarations); the cycles it would find, if any, are
    collected at its next pass after the batch."""
    if not paused or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _explanations(columns: dict, screens: list[str]) -> dict[str, list[str]]:
    """`explain`'s two columns from the columns of `assess` (arrays and Series of one row per declaration): the
    rows that `explanation` and `top_reason` read are those of the frame but the header, which they never read
    (its dates would be NumPy's here, pandas' Timestamps in a frame)."""
    names = [name for name in columns if name not in HEADER]
    rows = [dict(zip(names, row)) for row in zip(*(columns[name].tolist() for name in names))]
    parts = contribution_keys(names)
    return {"explanation": [explanation(row, screens, parts) for row in rows],
            "top_reason": [top_reason(row, screens) for row in rows]}


def decide(signals: pd.DataFrame, engine: RiskEngine) -> pd.DataFrame:
    """Selectivity on gathered risk signals, with the engine's learned combination when it has one."""
    learned = engine.learned()
    if learned is None:
        return select(signals, engine.settings)
    return select(signals, engine.settings, combined=learned.combine(signals, list(engine.screens)),
                  method=learned.method_)


def _decide_columns(signals, engine: RiskEngine, index: pd.Index) -> dict:
    """`decide` on a mapping of columns: the columns selectivity adds."""
    learned = engine.learned()
    if learned is None:
        return select_columns(signals, engine.settings, index=index)
    return select_columns(signals, engine.settings, combined=learned.combine(signals, list(engine.screens)),
                          method=learned.method_, index=index)


def risk_signals(frame: pd.DataFrame, engine: RiskEngine) -> pd.DataFrame:
    """The part of `assess` before selectivity: one row of risk signals per declaration (header, each screen's
    signals, the profile signals), in the order in which declarations first appear. A partition function:
    smartcustoms.scale maps it over the partitions of a batch, then selects on the gathered signals."""
    columns, index = signal_columns(frame, engine)
    return pd.DataFrame(columns, index=index)


def _aligned(values: pd.Series, index: pd.Index, rows: list[int] | None = None):
    """The column `values` at `rows` (all of them when None) for a frame on `index` (one row per declaration),
    keeping its type without being aligned: pandas' own array (strings, dates with a time zone), a NumPy array,
    or a Series of Python objects on `index` (a NumPy array of objects would be read as strings). The rows are
    taken from the array (the same values as Series.take, without building a Series)."""
    if not isinstance(values.dtype, np.dtype):
        return values.array if rows is None else values.array.take(rows)
    array = values.to_numpy() if rows is None else values.to_numpy()[rows]
    return objects(array, index) if values.dtype == object else array


def signal_columns(frame: pd.DataFrame, engine: RiskEngine) -> tuple[dict, pd.RangeIndex]:
    """`risk_signals` as a mapping of columns (arrays, and Series on the index returned for the text columns),
    in the order of the frame's columns, and that index (0 .. declarations - 1)."""
    frame = frame.reset_index(drop=True)
    # a declaration being lodged: the screens and profiles read its columns once (the header keeps its types)
    read = read_once(frame) if len(frame) <= READ_ONCE else frame
    scores = item_columns(read, engine)
    extra = {c: scores[c] for c in ("new_importer",) if c in scores}
    hits = hit_columns(engine.profiles, read, engine.suppressions, extra=extra)
    ids = frame["declaration_id"]
    first = first_rows(ids)
    everything = len(first) == len(frame)  # one goods item per declaration: the header is the frame's
    index = pd.RangeIndex(len(first))
    header = {name: _aligned(frame[name], index, None if everything else first) for name in HEADER}
    screens, _ = screen_signal_columns(ids, scores, list(engine.screens), index)
    profiles, _ = profile_signal_columns(ids, hits, None if hits is None else hits["row"])
    # all three are in the order in which declarations first appear in the frame
    return {**header, **screens, **profiles}, index
def calibrated(engine: RiskEngine, reference: pd.DataFrame) -> RiskEngine:
    """With ``expected_selection_rate`` set (ASYCUDA style), the engine whose yellow threshold would have sent
    that share of `reference` (recent declarations) to yellow or red, so that a declaration assessed alone
    meets the same bar as one in a batch."""
    rate = engine.settings.expected_selection_rate
    if not rate or reference.empty:
        return engine
    scores = assess(reference, engine)["risk_score"].to_numpy()
    threshold = min(float(np.quantile(scores, 1 - rate)), engine.settings.red_threshold)
    return replace(engine, settings=engine.settings.model_copy(update={"yellow_threshold": threshold}))


def explain(decided: pd.DataFrame, screens: list[str]) -> pd.DataFrame:
    """Add the JSON explanation and a one-line top reason (done at storage or display time: it costs)."""
    rows = records(decided, as_is=True)
    parts = contribution_keys(decided.columns)
    return decided.assign(explanation=[explanation(row, screens, parts) for row in rows],
                          top_reason=[top_reason(row, screens) for row in rows])
