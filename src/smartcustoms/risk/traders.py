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
cumulative counts), so a million goods items take about a second.

    risk = TraderRisk(prior_strength=5, new_days=90).fit(history, outcomes, as_of="2025-10-01")
    scores = risk.score(frame)   # trader_score, trader_duty_at_risk, trader_reason, new_importer, ...
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NAME = "trader"
COLUMNS = [f"{NAME}_score", f"{NAME}_duty_at_risk", f"{NAME}_reason", "new_importer", "importer_hit_rate",
           "declarant_hit_rate", "importer_controls", "importer_declarations", "compliance_tier"]
_HEADER = ["declaration_id", "acceptance_datetime", "importer_id", "declarant_id"]
_DAY = 86_400
_SHIFT = 34  # party code * 2**34 + seconds: 2**34 s is 544 years


def _seconds(values) -> np.ndarray:
    """Timestamps as whole seconds since the epoch (int64)."""
    return pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[s]").astype(np.int64)


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _missing(values: pd.Series) -> np.ndarray:
    ids, distinct = pd.factorize(values)
    empty = np.append((pd.Series(distinct, dtype="str").str.strip() == "").to_numpy(dtype=bool), True)
    return empty[ids]


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
        return self

    # ------------------------------------------------------------------------------------------ score
    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Point-in-time trader risk for each row of ``frame`` (same index)."""
        n = len(frame)
        # one computation per declaration of the frame, mapped back to its goods items
        row_decl, _ = pd.factorize(frame["declaration_id"], use_na_sentinel=False)
        first_row = np.full(row_decl.max() + 1 if n else 0, n, dtype=np.int64)
        np.minimum.at(first_row, row_decl, np.arange(n))
        heads = frame.iloc[first_row][_HEADER].reset_index(drop=True)
        values = self._score_headers(heads)
        out = {name: column[row_decl] for name, column in values.items()}

        # duty at risk of each item: excess probability x its declared duty
        declared_duty = np.zeros(n)
        if {"customs_value", "duty_rate"} <= set(frame.columns):
            value = pd.to_numeric(frame["customs_value"], errors="coerce").to_numpy(dtype=float)
            rate = pd.to_numeric(frame["duty_rate"], errors="coerce").to_numpy(dtype=float)
            declared_duty = np.nan_to_num(value * rate / 100.0)
        excess = np.nan_to_num(np.maximum(out.pop("excess"), 0.0))
        result = pd.DataFrame({
            f"{NAME}_score": out[f"{NAME}_score"],
            f"{NAME}_duty_at_risk": excess * declared_duty * self.stake_ratio,
            f"{NAME}_reason": out[f"{NAME}_reason"],
            "new_importer": out["new_importer"],
            "importer_hit_rate": out["importer_hit_rate"],
            "declarant_hit_rate": out["declarant_hit_rate"],
            "importer_controls": out["importer_controls"],
            "importer_declarations": out["importer_declarations"],
            "compliance_tier": out["compliance_tier"],
        }, index=frame.index)
        return result

    def _score_headers(self, heads: pd.DataFrame) -> dict[str, np.ndarray]:
        m = len(heads)
        t = _seconds(heads["acceptance_datetime"])
        no_time = pd.isna(heads["acceptance_datetime"]).to_numpy()
        no_importer = _missing(heads["importer_id"])
        no_declarant = _missing(heads["declarant_id"])

        # the known declarations: fitted history plus the frame's own (history wins on a repeated ID)
        known = pd.concat([self.declarations_, heads[~no_time]], ignore_index=True)
        known = known.drop_duplicates("declaration_id")
        known_t = _seconds(known["acceptance_datetime"])

        # parties as integer codes shared by events and queries
        importers = pd.Index(pd.unique(pd.concat([known["importer_id"], heads["importer_id"]]).dropna()))
        declarants = pd.Index(pd.unique(pd.concat([known["declarant_id"], heads["declarant_id"]]).dropna()))
        q_imp = np.maximum(importers.get_indexer(heads["importer_id"]), 0)
        q_dcl = np.maximum(declarants.get_indexer(heads["declarant_id"]), 0)
        base = min(t[~no_time].min(initial=0), known_t.min(initial=0)) - 2 * _DAY
        q_t = np.where(no_time, base, t) - base

        # outcomes: when each became known, and whose it is
        events = self.outcomes_.merge(known, on="declaration_id", how="inner")
        inspected = _seconds(events["inspection_date"])
        known_at = np.where(inspected % _DAY == 0, inspected + _DAY, inspected)  # a bare date: end of that day
        known_at = np.maximum(known_at, _seconds(events["acceptance_datetime"]) + 1) - base
        hit = (events["result"].astype("str") == "discrepancy").to_numpy(dtype=float)

        a = float(self.prior_strength)
        every = _Before(np.zeros(len(events), dtype=np.int64), known_at, hit)
        controls, _, hits = every.count(np.zeros(m, dtype=np.int64), q_t)
        prior = (hits + a * self.default_prior) / (controls + a)

        rates = {}
        for party, index, q in (("importer", importers, q_imp), ("declarant", declarants, q_dcl)):
            before = _Before(index.get_indexer(events[f"{party}_id"]), known_at, hit)
            c, _, h = before.count(q, q_t)
            rates[party] = (c, h, (h + a * prior) / (c + a))

        # importer history: earlier declarations and first-seen date
        decls = _Before(importers.get_indexer(known["importer_id"]), known_t - base)
        earlier, start, _ = decls.count(q_imp, q_t)
        first_seen = q_t.copy()
        if len(decls.time):
            first_seen = np.where(earlier > 0, decls.time[np.minimum(start, len(decls.time) - 1)], q_t)
        days_known = (q_t - first_seen) / _DAY
        horizon = q_t[~no_time].min(initial=np.iinfo(np.int64).max)  # the start of the known history
        if pd.notna(self.history_start_):
            horizon = min(horizon, _seconds([self.history_start_])[0] - base)
        look_back = (first_seen - horizon) / _DAY >= self.new_days
        new = look_back & ((days_known < self.new_days) | (earlier < self.min_declarations)) & ~no_importer

        # score on the log-odds scale
        imp_c, imp_h, imp_rate = rates["importer"]
        dcl_c, dcl_h, dcl_rate = rates["declarant"]
        own = (heads["declarant_id"].astype("str") == heads["importer_id"].astype("str")).to_numpy()
        use_declarant = ~own & ~no_declarant
        z = _logit(imp_rate) + np.where(use_declarant,
                                        self.declarant_weight * (_logit(dcl_rate) - _logit(prior)), 0.0)
        z = z + np.where(new, np.log(self.new_importer_odds), 0.0)
        aeo = heads["importer_id"].isin(self.aeo_).to_numpy()
        score = 1.0 / (1.0 + np.exp(-z)) * np.where(aeo, self.aeo_factor, 1.0)
        score[no_importer | no_time] = np.nan

        reason = np.full(m, "", dtype=object)
        reason[no_time] = "not checked: no acceptance date"
        reason[no_importer] = "not checked: no importer"
        flagged = np.flatnonzero(((score >= self.flag_threshold) | new) & ~no_importer & ~no_time)
        if len(flagged):
            reason[flagged] = self._reasons(heads.iloc[flagged], imp_c[flagged], imp_h[flagged], imp_rate[flagged],
                                            dcl_c[flagged], dcl_h[flagged], dcl_rate[flagged], prior[flagged],
                                            use_declarant[flagged], new[flagged], days_known[flagged],
                                            earlier[flagged], aeo[flagged])
        return {
            f"{NAME}_score": score,
            f"{NAME}_reason": reason,
            "excess": score - prior,
            "new_importer": new,
            "importer_hit_rate": np.where(no_importer | no_time, np.nan, imp_rate),
            "declarant_hit_rate": np.where(no_declarant | no_time, np.nan, dcl_rate),
            "importer_controls": np.where(no_importer | no_time, 0, imp_c).astype(np.int64),
            "importer_declarations": np.where(no_importer | no_time, 0, earlier).astype(np.int64),
            "compliance_tier": np.where(aeo, "aeo", "standard").astype(object),
        }

    def _reasons(self, heads, imp_c, imp_h, imp_rate, dcl_c, dcl_h, dcl_rate, prior, use_declarant, new,
                 days_known, earlier, aeo) -> np.ndarray:
        out = []
        for i, (importer, declarant) in enumerate(zip(heads["importer_id"], heads["declarant_id"])):
            parts = [f"importer {importer}: {imp_h[i]:.0f} discrepancies in {imp_c[i]} controls "
                     f"(smoothed hit rate {imp_rate[i]:.2f} against {prior[i]:.2f} overall)"]
            if use_declarant[i] and dcl_rate[i] > 1.5 * prior[i]:
                parts.append(f"declarant {declarant}: {dcl_h[i]:.0f} in {dcl_c[i]} controls ({dcl_rate[i]:.2f})")
            if new[i]:
                parts.append(f"new importer: first declaration {days_known[i]:.0f} days earlier, "
                             f"{earlier[i]} earlier declarations")
            if aeo[i]:
                parts.append(f"AEO tier: score x {self.aeo_factor:g}")
            out.append("; ".join(parts))
        return np.array(out, dtype=object)
