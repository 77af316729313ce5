"""Trader risk: the importer's and the declarant's control record, as of each declaration's acceptance.

For each declaration, using only what was known strictly before its ``acceptance_datetime``:

- **hit rates**, Bayesian-smoothed towards the overall hit rate of the same moment::

      rate = (hits + a * prior) / (controls + a)        a = prior_strength

  where a control counts once its outcome is known: at its ``inspection_date``, or at the end of that day when
  the date carries no time of day (and never before the controlled declaration itself was accepted);
- **history**: the importer's earlier declarations (from the fitted history and from earlier rows of the scored
  frame) and its first-seen date; an importer is *new* when its first declaration is less than ``new_days``
  old or it has fewer than ``min_declarations`` earlier declarations. Importers first seen within ``new_days``
  of the start of the known history are not called new: there is too little look-back to tell;
- **compliance tier**: importers in ``aeo_importers`` (authorised economic operators) are tier "aeo", the
  others "standard"; the AEO tier multiplies the score by ``aeo_factor``.

The score is the smoothed importer hit rate, shifted on the log-odds scale by the declarant's record (its
log-odds ratio to the prior, times ``declarant_weight``; not when the importer declares for itself) and by
``log(new_importer_odds)`` for new importers. Everything is vectorised (sorted keys and ``searchsorted`` over
cumulative counts), so a million goods items take about two seconds; the fitted history is sorted once by ``fit``
and the scored frame only adds its own declarations, so one declaration takes about a millisecond.

    risk = TraderRisk(prior_strength=5, new_days=90).fit(history, outcomes, as_of="2025-10-01")
    scores = risk.score(frame)   # trader_score, trader_duty_at_risk, trader_reason, new_importer, ...
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from smartcustoms.risk.valuation import SMALL, append_code, combine, factorize, finite, number

NAME = "trader"
COLUMNS = [f"{NAME}_score", f"{NAME}_duty_at_risk", f"{NAME}_reason", "new_importer", "importer_hit_rate",
           "declarant_hit_rate", "importer_controls", "importer_declarations", "compliance_tier"]
_HEADER = ["declaration_id", "acceptance_datetime", "importer_id", "declarant_id"]
_DAY = 86_400
_SHIFT = 34  # party code * 2**34 + seconds: 2**34 s is 544 years


def _naive(values) -> bool:
    """Whether `values` (an array or a Series) hold naive datetimes (NumPy's datetime64)."""
    return isinstance(values.dtype, np.dtype) and values.dtype.kind == "M"


def _seconds(values) -> np.ndarray:
    """Timestamps as whole seconds since the epoch (int64)."""
    if isinstance(values, np.ndarray) and _naive(values):  # NumPy's conversion, as Series.to_numpy's below
        return values.astype("datetime64[s]").astype(np.int64)
    values = pd.Series(values) if not isinstance(values, pd.Series) else values
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "M":  # already naive datetimes: no parsing
        return values.to_numpy(dtype="datetime64[s]").astype(np.int64)
    return pd.to_datetime(values).to_numpy(dtype="datetime64[s]").astype(np.int64)


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _blank(distinct: np.ndarray) -> np.ndarray:
    """Per distinct value (of ``factorize``), whether it is blank, then True for code -1 (missing)."""
    if all(type(value) is str and value.isascii() for value in distinct):  # the same as pandas', without its cost
        empty = np.array([value.strip() == "" for value in distinct], dtype=bool)
    else:
        empty = (pd.Series(distinct, dtype="str").str.strip() == "").to_numpy(dtype=bool)
    return np.append(empty, True)


def _known(distinct: np.ndarray, known: dict) -> np.ndarray:
    """Per distinct value (of ``factorize``), its code in ``known`` (value -> code), then -1 for code -1."""
    return np.array([known.get(value, -1) for value in distinct.tolist()] + [-1], dtype=np.int64)


def _codes(values, known: dict) -> np.ndarray:
    """The code of each value in ``known`` (value -> code), -1 where missing or unknown."""
    ids, distinct = factorize(values)
    return _known(distinct, known)[ids]


def _same(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Whether two factorized columns ((codes, distinct) each) hold the same text (a missing value equals
    nothing), compared once per distinct pair."""
    pairs, parts = combine(a[0], b[0], sizes=(len(a[1]), len(b[1])))
    same = [x >= 0 and y >= 0 and str(a[1][x]) == str(b[1][y]) for x, y in parts.tolist()]
    return np.array(same, dtype=bool)[pairs] if len(same) else np.zeros(len(pairs), dtype=bool)


def _events(outcomes: pd.DataFrame, declarations: pd.DataFrame, base: int) -> pd.DataFrame:
    """Controls of the given declarations: when each outcome became known (seconds after ``base``), whether it
    found a discrepancy, and whose declaration it was."""
    events = outcomes.merge(declarations, on="declaration_id", how="inner")
    inspected = _seconds(events["inspection_date"])
    known_at = np.where(inspected % _DAY == 0, inspected + _DAY, inspected)  # a bare date: end of that day
    known_at = np.maximum(known_at, _seconds(events["acceptance_datetime"]) + 1) - base
    hit = (events["result"].astype("str") == "discrepancy").to_numpy(dtype=float)
    return pd.DataFrame({"known_at": known_at, "hit": hit, "importer_id": events["importer_id"].to_numpy(),
                         "declarant_id": events["declarant_id"].to_numpy()})


class _Before:
    """Counts (and sums) of events of each party strictly before given times, by binary search."""

    def __init__(self, party: np.ndarray, time: np.ndarray, weight: np.ndarray | None = None):
        self.keys = (party.astype(np.int64) << _SHIFT) + time
        order = np.argsort(self.keys, kind="stable")
        self.keys = self.keys[order]
        self.time = time[order]
        self.cum = None if weight is None else np.concatenate([[0.0], np.cumsum(weight[order])])

    def count(self, party: np.ndarray, time: np.ndarray):
        """(events before, start position of the party's events, weight before) for each query."""
        query = (party.astype(np.int64) << _SHIFT) + time
        order = np.argsort(query, kind="stable")  # sorted queries search much faster (cache)
        start, stop = np.empty(len(query), dtype=np.int64), np.empty(len(query), dtype=np.int64)
        start[order] = np.searchsorted(self.keys, (party.astype(np.int64) << _SHIFT)[order], side="left")
        stop[order] = np.searchsorted(self.keys, query[order], side="left")
        total = None if self.cum is None else self.cum[stop] - self.cum[start]
        return stop - start, start, total

    def before(self, party: np.ndarray, time: np.ndarray):
        """``count``, with nothing for party -1 (missing or unknown here)."""
        count, start, total = self.count(np.maximum(party, 0), time)
        none = party < 0
        return np.where(none, 0, count), start, (None if total is None else np.where(none, 0.0, total))


# the "not checked" notes as codes (one dict serves every row: append_code makes each row's list)
_NO_DATE = {"code": "trader.not_checked.no_date", "params": {}}
_NO_IMPORTER = {"code": "trader.not_checked.no_importer", "params": {}}


class TraderRisk:
    """Point-in-time importer and declarant risk (sklearn-shaped).

    Parameters
    ----------
    prior_strength: a, the pseudo-controls that pull a trader's hit rate towards the prior.
    new_days, min_declarations: an importer is new when first seen less than ``new_days`` ago, or with fewer
        than ``min_declarations`` earlier declarations.
    declarant_weight: weight of the declarant's log-odds ratio to the prior (0 ignores declarants).
    new_importer_odds: odds multiplier for new importers.
    aeo_importers: importer IDs of authorised economic operators (tier "aeo").
    aeo_factor: multiplies the score of AEO importers.
    default_prior: the hit rate assumed before any outcome is known (itself smoothed with the outcomes known
        at each moment, with weight ``prior_strength``).
    flag_threshold: scores at or above it (and every new importer) get a reason sentence.
    stake_ratio: duty at stake of a fraud, as a share of the item's declared duty, for the duty-at-risk
        estimate ``(score - prior) x declared duty x stake_ratio`` (0 when the score is below the prior).
    """

    name = NAME

    def __init__(self, prior_strength=5.0, new_days=90, min_declarations=3, declarant_weight=0.5,
                 new_importer_odds=2.0, aeo_importers=(), aeo_factor=0.5, default_prior=0.05,
                 flag_threshold=0.2, stake_ratio=1.0):
        self.prior_strength = prior_strength
        self.new_days = new_days
        self.min_declarations = min_declarations
        self.declarant_weight = declarant_weight
        self.new_importer_odds = new_importer_odds
        self.aeo_importers = aeo_importers
        self.aeo_factor = aeo_factor
        self.default_prior = default_prior
        self.flag_threshold = flag_threshold
        self.stake_ratio = stake_ratio

    # ------------------------------------------------------------------------------------------ fit
    def fit(self, history: pd.DataFrame, outcomes: pd.DataFrame | None = None, as_of=None):
        """Store the declarations (one row each) and the outcomes dated strictly before ``as_of``."""
        headers = history[_HEADER].drop_duplicates("declaration_id")
        headers = headers[pd.to_datetime(headers["acceptance_datetime"]).notna().to_numpy()]
        if as_of is not None:
            headers = headers[pd.to_datetime(headers["acceptance_datetime"]) < pd.Timestamp(as_of)]
        self.declarations_ = headers.reset_index(drop=True)
        if outcomes is None:
            outcomes = pd.DataFrame({"declaration_id": pd.Series([], dtype="str"),
                                     "inspection_date": pd.Series([], dtype="datetime64[s]"),
                                     "result": pd.Series([], dtype="str")})
        outcomes = outcomes[["declaration_id", "inspection_date", "result"]]
        outcomes = outcomes[pd.to_datetime(outcomes["inspection_date"]).notna().to_numpy()]
        if as_of is not None:
            outcomes = outcomes[pd.to_datetime(outcomes["inspection_date"]) < pd.Timestamp(as_of)]
        self.outcomes_ = outcomes.reset_index(drop=True)
        accepted = self.declarations_["acceptance_datetime"]
        self.history_start_ = pd.to_datetime(accepted).min() if len(accepted) else pd.NaT
        self.aeo_ = frozenset(self.aeo_importers or ())
        self._prepare_history()
        return self

    def _prepare_history(self) -> None:
        """Sorted arrays of the fitted declarations and controls, so that scoring looks up what was known at
        each moment by binary search, and only adds the scored frame's own declarations."""
        history = self.declarations_
        accepted = _seconds(history["acceptance_datetime"])
        self.start_ = min(int(accepted.min(initial=0)), 0)  # times are counted from 2 days before this
        base = self.start_ - 2 * _DAY
        ids = history["declaration_id"]
        self.ids_ = frozenset(ids.dropna().tolist())
        self.ids_have_nan_ = bool(ids.isna().any())
        parties = {party: {value: i for i, value in enumerate(pd.unique(history[f"{party}_id"].dropna()).tolist())}
                   for party in ("importer", "declarant")}
        events = _events(self.outcomes_, history, base)
        known_at, hit = events["known_at"].to_numpy(), events["hit"].to_numpy()
        self.history_ = {
            "base": base, "parties": parties,
            "every": _Before(np.zeros(len(events), dtype=np.int64), known_at, hit),
            "importer": _Before(_codes(events["importer_id"], parties["importer"]), known_at, hit),
            "declarant": _Before(_codes(events["declarant_id"], parties["declarant"]), known_at, hit),
            "declarations": _Before(_codes(history["importer_id"], parties["importer"]), accepted - base),
        }
        # controls of declarations that are not in the history (they count once such a declaration is scored)
        self.orphan_outcomes_ = self.outcomes_[~self.outcomes_["declaration_id"].isin(ids)].reset_index(drop=True)
        self.orphan_ids_ = None  # their declaration IDs as a set, built on first use (`_orphans`)
        self.history_start_s_ = None if pd.isna(self.history_start_) else int(_seconds([self.history_start_])[0])

    def _in_history(self, ids: np.ndarray) -> np.ndarray:
        """Whether each declaration ID is one of the fitted declarations."""
        if len(ids) > SMALL:
            # the history's IDs as an Index, kept: its hash table is built once, not at every scored frame (a
            # batch split into partitions calls this once per partition)
            index = getattr(self, "id_index_", None)
            if index is None:
                index = self.id_index_ = pd.Index(
                    pd.unique(self.declarations_["declaration_id"].dropna().to_numpy(dtype=object)), dtype=object)
            found = index.get_indexer(pd.Index(ids, dtype=object)) >= 0
            if self.ids_have_nan_:
                found |= pd.isna(ids)
            return found
        return np.array([self.ids_have_nan_ if pd.isna(i) else i in self.ids_ for i in ids.tolist()], dtype=bool)

    # ------------------------------------------------------------------------------------------ score
    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Point-in-time trader risk for each row of ``frame`` (same index)."""
        return pd.DataFrame(self.score_columns(frame), index=frame.index)

    def score_columns(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """`score` as a dict of arrays (no frame built: `risk.assess` reads it)."""
        n = len(frame)
        # one computation per declaration of the frame, mapped back to its goods items
        row_decl, _ = factorize(frame["declaration_id"], use_na_sentinel=False)
        first_row = np.full(row_decl.max() + 1 if n else 0, n, dtype=np.int64)
        np.minimum.at(first_row, row_decl, np.arange(n))
        heads = {name: frame[name].to_numpy()[first_row] for name in _HEADER}
        if not _naive(frame["acceptance_datetime"]):  # text, or dates with a time zone: pandas reads them
            heads["acceptance_datetime"] = frame["acceptance_datetime"].iloc[first_row]
        values = self._score_headers(heads)
        out = {name: column[row_decl] for name, column in values.items()}

        # duty at risk of each item: excess probability x its declared duty
        declared_duty = np.zeros(n)
        if {"customs_value", "duty_rate"} <= set(frame.columns):
            declared_duty = finite(number(frame, "customs_value") * number(frame, "duty_rate") / 100.0)
        excess = finite(np.maximum(out.pop("excess"), 0.0))
        return {
            f"{NAME}_score": out[f"{NAME}_score"],
            f"{NAME}_duty_at_risk": excess * declared_duty * self.stake_ratio,
            f"{NAME}_reason": out[f"{NAME}_reason"],
            "new_importer": out["new_importer"],
            "importer_hit_rate": out["importer_hit_rate"],
            "declarant_hit_rate": out["declarant_hit_rate"],
            "importer_controls": out["importer_controls"],
            "importer_declarations": out["importer_declarations"],
            "compliance_tier": out["compliance_tier"],
            f"{NAME}_codes": out[f"{NAME}_codes"],
        }

    def _score_headers(self, heads: dict) -> dict[str, np.ndarray]:
        """One row per declaration: ``heads`` holds arrays of _HEADER (acceptance_datetime as a Series unless naive
        datetimes).

        What was known at each declaration's acceptance is the fitted history plus the frame's own declarations
        that are not in it (the history wins on a repeated ID) and their controls: each count below is the
        history's (binary search in the arrays of ``fit``) plus the frame's."""
        m = len(heads["declaration_id"])
        t = _seconds(heads["acceptance_datetime"])
        when = heads["acceptance_datetime"]
        no_time = np.isnat(when) if isinstance(when, np.ndarray) and _naive(when) else pd.isna(when).to_numpy()
        importer, declarant = heads["importer_id"], heads["declarant_id"]
        f_imp, importers = factorize(importer)
        f_dcl, declarants = factorize(declarant)
        no_importer, no_declarant = _blank(importers)[f_imp], _blank(declarants)[f_dcl]
        history = self.history_

        # the frame's declarations that are not in the history
        new_rows = np.flatnonzero(~no_time & ~self._in_history(heads["declaration_id"]))
        base = min(int(t[~no_time].min(initial=0)), self.start_) - 2 * _DAY
        q_t = np.where(no_time, base, t) - base
        q_history = np.maximum(q_t + (base - history["base"]), 0)  # the same moments, in the history's count

        # parties: codes in the history (-1: not in it) and in the frame
        h_imp = _known(importers, history["parties"]["importer"])[f_imp]
        h_dcl = _known(declarants, history["parties"]["declarant"])[f_dcl]
        frame_decls = _Before(f_imp[new_rows], t[new_rows] - base)

        # controls: the history's and those of the frame's new declarations
        events = self._frame_events(heads, new_rows, base, importers, declarants)  # None: no control to add
        a = float(self.prior_strength)
        controls, _, hits = history["every"].before(np.zeros(m, dtype=np.int64), q_history)
        if events is not None:
            more, _, more_hits = events["every"].before(np.zeros(m, dtype=np.int64), q_t)
            controls, hits = controls + more, hits + more_hits
        prior = (hits + a * self.default_prior) / (controls + a)

        rates = {}
        for party, h_code, f_code in (("importer", h_imp, f_imp), ("declarant", h_dcl, f_dcl)):
            c, _, h = history[party].before(h_code, q_history)
            if events is not None:
                more, _, more_hits = events[party].before(f_code, q_t)
                c, h = c + more, h + more_hits
            rates[party] = (c, h, (h + a * prior) / (c + a))

        # importer history: earlier declarations and first-seen date (the earliest known declaration)
        decls = history["declarations"]
        in_history, start, _ = decls.before(h_imp, q_history)
        in_frame, frame_start, _ = frame_decls.before(f_imp, q_t)
        earlier = in_history + in_frame
        first_seen = q_t.copy()
        if len(frame_decls.time):
            first_seen = np.where(in_frame > 0, frame_decls.time[np.minimum(frame_start, len(frame_decls.time) - 1)],
                                  first_seen)
        if len(decls.time):
            seen = decls.time[np.minimum(start, len(decls.time) - 1)] + (history["base"] - base)
            first_seen = np.where(in_history > 0, np.where(in_frame > 0, np.minimum(seen, first_seen), seen),
                                  first_seen)
        days_known = (q_t - first_seen) / _DAY
        horizon = q_t[~no_time].min(initial=np.iinfo(np.int64).max)  # the start of the known history
        if self.history_start_s_ is not None:
            horizon = min(horizon, self.history_start_s_ - base)
        look_back = (first_seen - horizon) / _DAY >= self.new_days
        new = look_back & ((days_known < self.new_days) | (earlier < self.min_declarations)) & ~no_importer

        # score on the log-odds scale
        imp_c, imp_h, imp_rate = rates["importer"]
        dcl_c, dcl_h, dcl_rate = rates["declarant"]
        own = _same((f_dcl, declarants), (f_imp, importers))
        use_declarant = ~own & ~no_declarant
        z = _logit(imp_rate) + np.where(use_declarant,
                                        self.declarant_weight * (_logit(dcl_rate) - _logit(prior)), 0.0)
        z = z + np.where(new, np.log(self.new_importer_odds), 0.0)
        aeo = np.append(np.array([i in self.aeo_ for i in importers.tolist()], dtype=bool), False)[f_imp]
        score = 1.0 / (1.0 + np.exp(-z)) * np.where(aeo, self.aeo_factor, 1.0)
        score[no_importer | no_time] = np.nan

        reason = np.full(m, "", dtype=object)
        reason[no_time] = "not checked: no acceptance date"
        reason[no_importer] = "not checked: no importer"
        coded = np.full(m, None, dtype=object)  # a row's reason (or "not checked" note) as codes and parameters
        append_code(coded, no_time & ~no_importer, _NO_DATE)
        append_code(coded, no_importer, _NO_IMPORTER)
        flagged = np.flatnonzero(((score >= self.flag_threshold) | new) & ~no_importer & ~no_time)
        if len(flagged):
            reason[flagged], coded[flagged] = self._reasons(
                                            importer[flagged], declarant[flagged], imp_c[flagged], imp_h[flagged],
                                            imp_rate[flagged], dcl_c[flagged], dcl_h[flagged], dcl_rate[flagged],
                                            prior[flagged], use_declarant[flagged], new[flagged],
                                            days_known[flagged], earlier[flagged], aeo[flagged])
        return {
            f"{NAME}_score": score,
            f"{NAME}_reason": reason,
            f"{NAME}_codes": coded,
            "excess": score - prior,
            "new_importer": new,
            "importer_hit_rate": np.where(no_importer | no_time, np.nan, imp_rate),
            "declarant_hit_rate": np.where(no_declarant | no_time, np.nan, dcl_rate),
            "importer_controls": np.where(no_importer | no_time, 0, imp_c).astype(np.int64),
            "importer_declarations": np.where(no_importer | no_time, 0, earlier).astype(np.int64),
            "compliance_tier": np.where(aeo, "aeo", "standard").astype(object),
        }

    def _frame_events(self, heads: dict, new_rows: np.ndarray, base: int, importers, declarants) -> dict | None:
        """Counters of the controls of the frame's new declarations (outcomes fitted without their declaration),
        with parties coded as in the frame; None without any (they would count nothing: a declaration being
        lodged has none)."""
        known_at, hit = np.zeros(0, dtype=np.int64), np.zeros(0)
        importer_codes = declarant_codes = np.zeros(0, dtype=np.int64)
        if len(self.orphan_outcomes_) and len(new_rows) and self._orphans(heads["declaration_id"][new_rows]):
            known = pd.DataFrame({name: heads[name].iloc[new_rows].to_numpy() if isinstance(heads[name], pd.Series)
                                  else heads[name][new_rows] for name in _HEADER})
            events = _events(self.orphan_outcomes_, known, base)
            known_at, hit = events["known_at"].to_numpy(dtype=np.int64), events["hit"].to_numpy(dtype=float)
            if len(events):
                importer_codes = pd.Index(importers).get_indexer(events["importer_id"])
                declarant_codes = pd.Index(declarants).get_indexer(events["declarant_id"])
        if not len(known_at):
            return None
        return {
            "every": _Before(np.zeros(len(known_at), dtype=np.int64), known_at, hit),
            "importer": _Before(importer_codes, known_at, hit),
            "declarant": _Before(declarant_codes, known_at, hit),
        }

    def _orphans(self, ids: np.ndarray) -> bool:
        """Whether any of a few declaration IDs has an outcome without its declaration in the history (more
        than a few: assumed, and the join finds them)."""
        if len(ids) > SMALL:
            return True
        known = getattr(self, "orphan_ids_", None)
        if known is None:
            known = self.orphan_ids_ = set(self.orphan_outcomes_["declaration_id"].tolist())
        return any(value in known for value in ids.tolist())

    def _reasons(self, importers, declarants, imp_c, imp_h, imp_rate, dcl_c, dcl_h, dcl_rate, prior, use_declarant,
                 new, days_known, earlier, aeo) -> np.ndarray:
        out, coded = [], np.full(len(importers), None, dtype=object)
        aeo_words = f"AEO tier: score x {self.aeo_factor:g}"
        # the arrays as Python values first (reading a NumPy array item by item costs more than the words)
        rows = zip(importers.tolist(), declarants.tolist(), imp_c.tolist(), imp_h.tolist(), imp_rate.tolist(),
                   dcl_c.tolist(), dcl_h.tolist(), dcl_rate.tolist(), prior.tolist(), use_declarant.tolist(),
                   new.tolist(), days_known.tolist(), earlier.tolist(), aeo.tolist())
        for i, (importer, declarant, i_c, i_h, i_rate, d_c, d_h, d_rate, i_prior, by_declarant, is_new, days, before,
                is_aeo) in enumerate(rows):
            parts = [f"importer {importer}: {i_h:.0f} discrepancies in {i_c} controls "
                     f"(smoothed hit rate {i_rate:.2f} against {i_prior:.2f} overall)"]
            codes = [{"code": "trader.importer_rate", "params": {
                "importer": str(importer), "hits": round(float(i_h)), "controls": int(i_c),
                "rate": round(float(i_rate), 2), "prior": round(float(i_prior), 2)}}]
            if by_declarant and d_rate > 1.5 * i_prior:
                parts.append(f"declarant {declarant}: {d_h:.0f} in {d_c} controls ({d_rate:.2f})")
                codes.append({"code": "trader.declarant_rate", "params": {
                    "declarant": str(declarant), "hits": round(float(d_h)), "controls": int(d_c),
                    "rate": round(float(d_rate), 2)}})
            if is_new:
                parts.append(f"new importer: first declaration {days:.0f} days earlier, {before} earlier declarations")
                codes.append({"code": "trader.new_importer", "params": {
                    "days": round(float(days)) if math.isfinite(days) else None, "earlier": int(before)}})
            if is_aeo:
                parts.append(aeo_words)
                codes.append({"code": "trader.aeo", "params": {"factor": float(self.aeo_factor)}})
            out.append("; ".join(parts))
            coded[i] = codes
        return np.array(out, dtype=object), coded
