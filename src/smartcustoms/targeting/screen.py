"""The targeting model as a risk screen (name "model"), so that it feeds the lane decision like the others.

    screen = ModelScreen().fit(history, outcomes, as_of="2025-10-01")
    scores = screen.score(frame)   # model_score, model_duty_at_risk, model_reason (same index as frame)

``fit`` computes `declaration_features` for the history with the outcomes known before ``as_of`` and fits a
`TargetingModel` on the labelled declarations dated before ``as_of`` (unless a fitted model was given). The
features of a new declaration are those of `declaration_features` over the history, those outcomes and the
frame scored, each row as of its own date (the time rule of `smartcustoms.targeting.features`: an outcome counts
only from the day after its inspection, and never an outcome known on or after ``as_of``). Two ways to get them:

- fast (the usual case): ``fit`` also counts the history and its outcomes once, per key (`history_totals`,
  kept as ``snapshot_``); ``score`` featurises the frame alone and adds those counts. This is exact (the same
  counts and rates, and so the same scores; unit price statistics equal up to rounding, about 1e-12) when every
  declaration of the frame is dated after the last day of the history and of its known outcomes
  (``snapshot_.last_day``: with ``as_of`` at midnight, every declaration from ``as_of`` on) and none of them is
  already in the history. Declarations of the frame still see each other: those of earlier days count as
  traffic (and their outcomes, if any are known) for the later ones, as they would in the history. A screen
  fitted during a day (``as_of`` now, as the web's is) also counts the history before that last day
  (``same_day_``): the rest of the day's declarations, which must not see the day's earlier ones, take the fast
  path with it;
- slow, otherwise (a replay of older declarations, a declaration without a date, one already in the history):
  the whole frame is featurised together with the whole history, as before. Slower (every statistic over the
  whole history on each call), equally exact.

Per goods item (the declaration's value on each of its items):

- ``model_score``: the calibrated p(fraud) of the item's declaration (NaN when there is no model);
- ``model_duty_at_risk``: the duty recoverable if it is fraud, for a declaration the screen flags (on its first
  item only, 0 on the others, because selectivity adds the duty of flagged items; 0 when not flagged, where
  selectivity would not count it: the revenue model is not run for those);
- ``model_reason``: "model: p(fraud) 0.82; <the three features that raise it most, in plain words>" when
  p(fraud) >= ``flag_threshold``, "" otherwise, "not checked: no model" when unfitted.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from smartcustoms.targeting.features import (
    HistoryLookup,
    declaration_columns,
    declaration_features,
    history_totals,
    small_frame_rows,
)
from smartcustoms.targeting.model import TargetingModel

NAME = "model"
SMALL_FRAME = 200  # goods items up to which a one-day frame is featurised from the lookup tables (measured:
# about 0.07 ms an item there, against 16-25 ms for the frame path up to 260 items)
COLUMNS = [f"{NAME}_score", f"{NAME}_duty_at_risk", f"{NAME}_reason"]


class ModelScreen:
    """The targeting model's p(fraud) as a screen. Parameters: ``model`` (a fitted `TargetingModel`, used
    as is; None: one is fitted by ``fit`` with ``model_params``), ``flag_threshold`` (p(fraud) from which the
    screen gives a reason), ``top`` (how many contributions the reason names), ``model_id`` (the registry's ID of
    a given model, recorded as the decisions' model version), ``predict_jobs`` (threads for
    scoring and explanations: the model is fitted on one thread, where small data gains nothing from more, but
    scoring a batch and computing its contributions gains from every core), ``min_outcomes`` and ``min_found``
(fewer labelled declarations, or fewer with a discrepancy, known before ``as_of``: no model is fitted and every
score says "not checked: no model (not enough outcomes yet: ...)", so the assessment says why)."""

    name = NAME
    # risk.assess may score a large batch with this screen in a thread beside the other screens: most of its time
    # is LightGBM's predictions, outside Python's lock
    concurrent = True

    def __init__(self, model: TargetingModel | None = None, flag_threshold: float = 0.3, top: int = 3,
                 predict_jobs: int = 2, model_id: str | None = None, min_outcomes: int = 100, min_found: int = 10,
                 **model_params):
        self.model = model
        self.min_outcomes = min_outcomes
        self.min_found = min_found
        self.model_id = model_id
        self.predict_jobs = predict_jobs
        self.flag_threshold = flag_threshold
        self.top = top
        self.model_params = model_params

    # --- fitting -----------------------------------------------------------------------------------------
    def fit(self, history: pd.DataFrame, outcomes: pd.DataFrame | None, as_of=None) -> ModelScreen:
        """Keep the history before `as_of` and the outcomes known before it; fit the model on them unless one
        was given, and count them per key for the fast path. Without labelled declarations of both classes the
        screen stays without a model."""
        as_of = None if as_of is None else pd.Timestamp(as_of)
        history = history.copy()
        when = pd.to_datetime(history["acceptance_datetime"], errors="coerce")
        if as_of is not None:
            history = history.loc[(when < as_of).to_numpy()]
        known = outcomes.copy() if outcomes is not None else None
        if known is not None and as_of is not None and len(known):
            inspected = pd.to_datetime(known["inspection_date"], errors="coerce").dt.floor("D")
            known = known.loc[(inspected < as_of).to_numpy()]
        self.history_ = history.reset_index(drop=True)
        self.outcomes_ = known
        self.as_of_ = as_of
        self.model_ = self.model
        self.note_ = ""
        self.note_code_ = None  # the note as a code and parameters (pages write it in the reader's words)
        self.window_ = (None, None, 0)
        self.snapshot_ = None
        if self.model_ is None:
            if history.empty:
                self.note_ = "no history"
                self.note_code_ = {"code": "model.not_checked.no_history", "params": {}}
                return self
            features = declaration_features(self.history_, self.outcomes_, as_of=as_of)
            labels = features["label_fraud"]
            labelled, found = int(labels.notna().sum()), int((labels == 1).sum())
            if labelled < self.min_outcomes or found < self.min_found:
                self.note_ = (f"not enough outcomes yet: {labelled} controlled declarations, {found} with a "
                              f"discrepancy; the model needs {self.min_outcomes} and {self.min_found}")
                self.note_code_ = {"code": "model.not_checked.few_outcomes", "params": {
                    "labelled": labelled, "found": found, "min_outcomes": self.min_outcomes,
                    "min_found": self.min_found}}
                return self
            try:
                params = {"n_jobs": 1, **self.model_params}  # small data: threads cost more than they give
                self.model_ = TargetingModel(**params).fit(features).set_threads(self.predict_jobs)
            except ValueError as exc:  # no labelled rows of both classes
                self.note_ = str(exc)
                self.note_code_ = {"code": "model.not_checked.not_trained", "params": {}}
                return self
            labelled = features.loc[features["label_fraud"].notna(), "declaration_date"]
            self.window_ = (labelled.min(), labelled.max(), int(len(labelled)))
        if len(self.history_):
            self._count_history()
        return self

    def _count_history(self) -> None:
        """The fast path's state: the history's counts per key, its declaration ids, and the outcomes of
        declarations outside it (they may belong to declarations scored later)."""
        self.snapshot_ = history_totals(self.history_, self.outcomes_, as_of=self.as_of_)
        self.history_ids_ = pd.Index(pd.unique(self.history_["declaration_id"].astype(str).to_numpy()))
        snapshot = self.snapshot_
        for index in [self.history_ids_, snapshot.importer_days.index, *snapshot.vocabulary.values(),
                      *(t.index for t in (*snapshot.items.values(), *snapshot.headers.values(),
                                          *snapshot.prices.values()))]:
            index.get_indexer(index[:1])  # build the lookup tables now, not on the first score
        known = self.outcomes_
        if known is not None and len(known):
            known = known.loc[self.history_ids_.get_indexer(known["declaration_id"].astype(str)) < 0]
        self.other_outcomes_ = known
        self.lookup_ = HistoryLookup(self.snapshot_)
        self.outcome_ids_ = set() if known is None else set(known["declaration_id"].astype(str))
        self.same_day_ = self._count_before(self.snapshot_.last_day)

    def _count_before(self, day: pd.Timestamp) -> tuple[object, HistoryLookup] | None:
        """The counts (and lookup tables) of the history dated before `day` and of the outcomes known before it:
        what a declaration of `day` may see when the history already holds that day's earlier declarations or
        outcomes (``as_of`` during `day`). None otherwise (``as_of`` at midnight: nothing of its day is known)."""
        if self.as_of_ is None or day < self.as_of_.floor("D"):
            return None
        when = pd.to_datetime(self.history_["acceptance_datetime"], errors="coerce").dt.floor("D")
        earlier = (when < day).to_numpy()
        if not earlier.any():
            return None
        totals = history_totals(self.history_.loc[earlier], self.outcomes_, as_of=min(self.as_of_, day))
        return totals, HistoryLookup(totals)

    @property
    def version(self) -> str | None:
        """The registry's model ID for a given model; else the model's version and a short hash of its training
        window (first and last labelled declaration, their count, and ``as_of``); None without a model."""
        model = getattr(self, "model_", None)
        if model is None:
            return None
        if self.model_id and model is self.model:
            return self.model_id
        first, last, count = self.window_
        window = f"{first}|{last}|{count}|{self.as_of_}|{getattr(model, 'n_labelled_', '')}"
        return f"{getattr(model, 'version_', 'model')}+{hashlib.sha256(window.encode()).hexdigest()[:8]}"

    # --- scoring -----------------------------------------------------------------------------------------
    def _counts_for(self, days: set) -> tuple[object, HistoryLookup] | None:
        """The history's counts (and lookup tables) that declarations of `days` may add to their own: all of it
        for days after its last day, the part before it for that last day (``same_day_``); None otherwise."""
        snapshot = getattr(self, "snapshot_", None)
        if snapshot is None or not days or None in days:
            return None
        if all(day > snapshot.last_day for day in days):
            return snapshot, self.lookup_
        same_day = getattr(self, "same_day_", None)
        if same_day is not None and days == {snapshot.last_day}:
            return same_day
        return None

    def _base(self, frame: pd.DataFrame) -> object | None:
        """The counts that `frame` is featurised on (see `_counts_for`), None when none fits or one of its
        declarations is in the history."""
        if len(frame) == 0:
            return None
        day = pd.to_datetime(frame["acceptance_datetime"], errors="coerce").dt.floor("D")
        counts = None if day.isna().any() else self._counts_for(set(day.unique()))
        ids = frame["declaration_id"].astype(str)
        return counts[0] if counts is not None and (self.history_ids_.get_indexer(ids) < 0).all() else None

    def fast(self, frame: pd.DataFrame) -> bool:
        """Whether `frame` can be featurised from the history's counts: its declarations are all dated after
        ``snapshot_.last_day`` (or all on that day, with ``same_day_``) and none is in the history (see the module
        docstring)."""
        return self._base(frame) is not None

    def _one_day(self, frame: pd.DataFrame) -> HistoryLookup | None:
        """The lookup tables that `frame`, a few declarations of one day, may be featurised from alone (after the
        history or on its last day, not in it, with no known outcome: `small_frame_features`); None otherwise."""
        if not 0 < len(frame) <= SMALL_FRAME:
            return None
        days = {pd.Timestamp(value).floor("D") if value == value and value is not None else None
                for value in frame["acceptance_datetime"].tolist()}
        counts = self._counts_for(days) if len(days) == 1 else None
        if counts is None:
            return None
        ids = {str(value) for value in frame["declaration_id"].tolist()}
        history = self.history_ids_
        return None if ids & self.outcome_ids_ or any(value in history for value in ids) else counts[1]

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Features of the declarations of `frame` (index declaration_id as text), each as of its own date,
        counting the kept history and outcomes as their past (fast or slow, the same features)."""
        ids = frame["declaration_id"].astype(str)
        base = self._base(frame)
        if base is not None:
            features = declaration_features(frame, self.other_outcomes_, as_of=self.as_of_, base=base)
        else:
            history = self.history_
            if len(history):
                history = history.loc[~history["declaration_id"].astype(str).isin(set(ids)).to_numpy()]
            both = pd.concat([history, frame], ignore_index=True) if len(history) else frame.reset_index(drop=True)
            features = declaration_features(both, self.outcomes_, as_of=self.as_of_)
        return features.loc[pd.unique(ids.to_numpy())]

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.score_columns(frame), index=frame.index)

    def score_columns(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """`score` as a dict of arrays, one value per row of `frame` (no frame built: `risk.assess` reads it)."""
        n = len(frame)
        if getattr(self, "model_", None) is None:
            why = "not checked: no model" + (f" ({self.note_})" if getattr(self, "note_", "") else "")
            note = getattr(self, "note_code_", None) or (
                None if getattr(self, "note_", "") else {"code": "model.not_checked.no_model", "params": {}})
            coded = np.empty(n, dtype=object)
            coded.fill([note] if note else None)  # one list for every row (never changed in place)
            return {COLUMNS[0]: np.full(n, np.nan), COLUMNS[1]: np.zeros(n),
                    COLUMNS[2]: pd.Series([why] * n, dtype=object).to_numpy(), f"{NAME}_codes": coded}
        if n == 0:
            return {COLUMNS[0]: np.zeros(0), COLUMNS[1]: np.zeros(0), COLUMNS[2]: np.zeros(0, dtype=object)}
        lookup = self._one_day(frame)
        if lookup is not None:
            # a declaration being lodged: its features from the lookup tables straight into the model's input
            # array (the same values as the frame path, no pandas per call)
            rows = small_frame_rows(frame, lookup)
            names = self.model_.feature_names_
            x = np.array([[row[c] for c in names] for row in rows], dtype=float)
            position = {row["declaration_id"]: i for i, row in enumerate(rows)}
            at = np.fromiter((position[str(i)] for i in frame["declaration_id"].tolist()), dtype=np.intp, count=n)
        elif (base := self._base(frame)) is not None:
            # the batch: the feature columns straight into the model's input array (the values of `features`)
            declarations, columns, at = declaration_columns(frame, self.other_outcomes_, as_of=self.as_of_,
                                                            base=base)
            x = self.model_.input_array(columns, len(declarations))
        else:
            features = self.features(frame)
            x = self.model_._x(features)
            at = pd.Index(features.index).get_indexer(frame["declaration_id"].astype(str).to_numpy())
        p = self.model_.fraud_probability(x)
        reasons = np.full(len(x), "", dtype=object)
        flagged = np.flatnonzero(p >= self.flag_threshold)
        revenue = np.zeros(len(x))  # the lane decision counts the duty of flagged declarations only
        if len(flagged):
            revenue[flagged] = self.model_.revenue_if_fraud(x[flagged])
            words = self.model_.top_reasons(x[flagged], top=self.top)[0]
            reasons[flagged] = [f"model: p(fraud) {prob:.2f}; " + ", ".join(row)
                                for prob, row in zip(p[flagged], words)]
        # each declaration's first row: declarations are numbered in order of first appearance
        first = np.ones(n, dtype=bool)
        first[1:] = at[1:] > np.maximum.accumulate(at)[:-1]
        duty = np.where(first, revenue[at], 0.0)
        return {COLUMNS[0]: np.clip(p[at], 0, 1), COLUMNS[1]: duty, COLUMNS[2]: reasons[at]}
