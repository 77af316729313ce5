"""The combined risk score learned from outcomes: a calibrated stacking of the screens, the profiles' hits and the
targeting model, fitted on the administration's own control outcomes as of the assessment date.

Parts (one number per declaration, from the signals of `smartcustoms.risk.signals`): each screen's score
(``<name>_score``, 0..1, a screen that could not run counts 0; the model's calibrated p(fraud) enters on the
log-odds scale), the highest weight of an active profile hit (0..1) and whether an active profile asked for a
control. The combination is a logistic regression of the outcome (the control found a discrepancy) on the parts:
its output is a probability, calibrated on the labelled declarations.

- **Out of time.** `fit_holdout` is given the parts of labelled declarations scored by screens fitted *before*
  them (the caller fits the screens as of the start of a holdout window and scores the declarations of the
  window). The window is cut into consecutive time blocks; each block is predicted by a combination fitted on
  the blocks before it (forward chaining), and so is each part alone.
- **Selection bias.** Labels exist only where a control was made, mostly where the old rules pointed. A row of the
  random control sample weighs 1 / s (s: the random share of the labelled rows), a risk-selected row 1: the random
  sample, the one unbiased picture of the flow, weighs as much as all risk-selected rows together (as the
  targeting model does). The weights apply to the fit and to the held-out comparison.
- **No weight without signal.** A part whose coefficient is not significantly positive (z = coefficient /
  standard error below ``min_z``, 2) is dropped, the weakest first, and the rest refitted, until every kept part
  pulls the right way with evidence: a screen that carries no signal on this administration's data gets
  weight 0.
- **Never worse than its best part.** On the held-out blocks the combination must beat the best single
  part's mean of Precision@5%, Precision@10% and AUC; otherwise the combined score *is* that part (method
  ``best_part``).

`combine(signals)` gives the score and, per part, its contribution in log-odds against the average declaration
of the fit (``contributions``), from which each screen's share of the decision follows (positive contributions
only). Fixed weights (the noisy-or of `selectivity.combined_score`) stay available: ``combination: fixed`` in
the selectivity settings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PROFILE_PARTS = ("profile_weight", "profile_control")
EPS = 1e-3


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def part_values(signals: pd.DataFrame, screens: list[str]) -> pd.DataFrame:
    """The parts of every declaration of `signals` (see the module docstring), one column per part."""
    return pd.DataFrame(part_arrays(signals, screens), index=signals.index)


def part_arrays(signals, screens: list[str]) -> dict[str, np.ndarray]:
    """`part_values` as a dict of arrays (what `combine` reads: no frame for a declaration being lodged).
    `signals`: a frame, or a mapping of columns (`risk.assess` for a declaration being lodged)."""
    out = {}
    for name in screens:
        column = f"{name}_score"
        if column not in signals:
            continue
        score = np.nan_to_num(np.asarray(signals[column], dtype=float), nan=0.0)
        out[name] = _logit(score) if name == "model" else np.clip(score, 0, 1)
    if "profile_weight" in signals:
        out["profile_weight"] = np.clip(np.asarray(signals["profile_weight"], dtype=float), 0, 100) / 100
        lane = np.asarray(signals["profile_lane"], dtype=object)
        out["profile_control"] = np.isin(lane, ["yellow", "red"]).astype(float)
    return out


def inverse_propensity_weights(is_random: np.ndarray) -> np.ndarray:
    is_random = np.asarray(is_random, dtype=float) == 1
    share = is_random.mean() if len(is_random) else 0.0
    return np.where(is_random, 1.0 / share, 1.0) if share > 0 else np.ones(len(is_random))


def _precision_at(score: np.ndarray, y: np.ndarray, w: np.ndarray, fraction: float) -> float:
    k = max(1, int(round(fraction * len(score))))
    top = np.argsort(-score, kind="stable")[:k]
    return float(np.sum(w[top] * y[top]) / np.sum(w[top]))


def held_out_quality(score: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Mean of Precision@5%, Precision@10% and AUC (weighted): what the combination must not lose."""
    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score(y, score, sample_weight=w) if 0 < y.sum() < len(y) else 0.5
    return float(np.mean([_precision_at(score, y, w, 0.05), _precision_at(score, y, w, 0.10), auc]))


def _standard_errors(model, z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Standard errors of a fitted logistic regression's coefficients (inverse of the weighted Fisher
    information, intercept included), normalised so that the weights sum to the number of rows."""
    p = model.predict_proba(z)[:, 1]
    w = w * len(w) / w.sum()
    design = np.column_stack([np.ones(len(z)), z])
    information = design.T @ (design * (w * p * (1 - p))[:, None])
    try:
        covariance = np.linalg.inv(information + 1e-9 * np.eye(len(information)))
    except np.linalg.LinAlgError:
        return np.full(z.shape[1], np.inf)
    return np.sqrt(np.clip(np.diag(covariance)[1:], 1e-18, None))


class LearnedCombination:
    """Parameters: ``folds`` (consecutive time blocks of the holdout: ``folds - 1`` forward-chained
    evaluations), ``min_labelled`` and ``min_positives`` (fewer: no learned combination, the caller keeps fixed
    weights), ``C`` (inverse L2 strength of the logistic regression), ``random_weight`` (inverse-propensity
    weights of the random sample, True by default)."""

    def __init__(self, folds: int = 4, min_labelled: int = 200, min_positives: int = 20, C: float = 1.0,
                 random_weight: bool = True, min_z: float = 2.0):
        self.min_z = min_z
        self.folds = folds
        self.min_labelled = min_labelled
        self.min_positives = min_positives
        self.C = C
        self.random_weight = random_weight

    # --- fitting -------------------------------------------------------------------------------------------
    def _fit_lr(self, x: pd.DataFrame, y: np.ndarray, w: np.ndarray) -> tuple[list[str], np.ndarray, float,
                                                                                np.ndarray, np.ndarray]:
        """Logistic regression on standardised parts, dropping parts whose coefficient is not positive."""
        from sklearn.linear_model import LogisticRegression

        kept = [c for c in x.columns if np.nanstd(x[c].to_numpy(dtype=float)) > 0]
        while kept:
            values = x[kept].to_numpy(dtype=float)
            mean, std = values.mean(axis=0), values.std(axis=0)
            std = np.where(std > 0, std, 1.0)
            z = (values - mean) / std
            model = LogisticRegression(C=self.C, max_iter=1000).fit(z, y, sample_weight=w)
            coef = model.coef_[0]
            significance = coef / _standard_errors(model, z, w)
            if (significance > self.min_z).all():
                return kept, coef / std, float(model.intercept_[0] - np.sum(coef * mean / std)), mean, std
            weakest = int(np.argmin(significance))  # drop the weakest part, refit the others
            kept = [name for i, name in enumerate(kept) if i != weakest]
        return [], np.zeros(0), float(np.log(max(np.average(y, weights=w), EPS) /
                                             max(1 - np.average(y, weights=w), EPS))), np.zeros(0), np.zeros(0)

    def fit_holdout(self, parts: pd.DataFrame, label: np.ndarray, is_random: np.ndarray,
                    dates) -> LearnedCombination:
        """Fit on the parts of labelled declarations scored out of time (see the module docstring). Sets
        ``method_`` ("learned", "best_part" or "none" when too few outcomes), ``parts_``, ``coef_``,
        ``intercept_``, ``best_part_``, ``held_out_`` (quality per candidate) and ``note_``."""
        y = np.asarray(label, dtype=float)
        known = ~np.isnan(y)
        parts, y = parts.loc[known].reset_index(drop=True), y[known]
        w = inverse_propensity_weights(np.asarray(is_random)[known]) if self.random_weight else np.ones(len(y))
        order = np.argsort(pd.to_datetime(pd.Series(np.asarray(dates)[known])).to_numpy(), kind="stable")
        parts, y, w = parts.iloc[order].reset_index(drop=True), y[order], w[order]
        self.n_labelled_, self.n_positives_ = int(len(y)), int(y.sum())
        self.columns_ = list(parts.columns)
        self.parts_, self.coef_, self.intercept_, self.mean_ = [], np.zeros(0), 0.0, np.zeros(0)
        self.best_part_, self.held_out_ = None, {}
        if len(y) < self.min_labelled or y.sum() < self.min_positives or y.sum() == len(y):
            self.method_ = "none"
            self.note_ = (f"not enough outcomes to learn the combination ({len(y)} labelled, {int(y.sum())} "
                          f"found; need {self.min_labelled} and {self.min_positives})")
            return self
        blocks = np.array_split(np.arange(len(y)), self.folds)
        quality: dict[str, list[float]] = {"learned": [], **{c: [] for c in parts.columns}}
        for k in range(1, len(blocks)):
            train, test = np.concatenate(blocks[:k]), blocks[k]
            if len(np.unique(y[train])) < 2 or len(test) == 0:
                continue
            kept, coef, intercept, _, _ = self._fit_lr(parts.iloc[train], y[train], w[train])
            learned = parts.iloc[test][kept].to_numpy(dtype=float) @ coef + intercept if kept \
                else np.zeros(len(test))
            quality["learned"].append(held_out_quality(learned, y[test], w[test]))
            for column in parts.columns:
                quality[column].append(held_out_quality(parts.iloc[test][column].to_numpy(dtype=float),
                                                        y[test], w[test]))
        self.held_out_ = {name: round(float(np.mean(q)), 4) for name, q in quality.items() if q}
        singles = {name: q for name, q in self.held_out_.items() if name != "learned"}
        self.best_part_ = max(singles, key=singles.get) if singles else None
        self.parts_, self.coef_, self.intercept_, self.mean_, _ = self._fit_lr(parts, y, w)
        if self.best_part_ is not None and self.held_out_.get("learned", -1) <= singles[self.best_part_]:
            self.method_ = "best_part"
            self.note_ = (f"the learned combination ({self.held_out_.get('learned')}) did not beat its best part "
                          f"{self.best_part_} ({singles[self.best_part_]}) on the held-out blocks")
        else:
            self.method_ = "learned"
            self.note_ = ""
        return self

    # --- scoring -------------------------------------------------------------------------------------------
    def combine(self, signals, screens: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The combined score of every declaration and each part's contribution (log-odds against the average
        declaration of the fit; for ``best_part``: that part's score, the others 0). `signals`: a frame, or a
        mapping of columns that holds declaration_id."""
        parts = part_arrays(signals, screens)
        n = len(signals) if isinstance(signals, pd.DataFrame) else len(signals["declaration_id"])
        if self.method_ == "best_part":
            name = self.best_part_
            value = parts[name] if name in parts else np.zeros(n)
            score = 1 / (1 + np.exp(-value)) if name == "model" else np.clip(value, 0, 1)
            return score, {name: value}
        logit = np.full(n, self.intercept_)
        contributions = {}
        for name, coef, mean in zip(self.parts_, self.coef_, self.mean_):
            value = parts[name] if name in parts else np.zeros(n)
            logit = logit + coef * value
            contributions[name] = coef * (value - mean)
        return 1 / (1 + np.exp(-logit)), contributions

    def describe(self) -> dict:
        """What was learnt, for the assessment's provenance and the benchmarks."""
        return {"method": self.method_, "note": self.note_, "labelled": self.n_labelled_,
                "found": self.n_positives_, "best_part": self.best_part_, "held_out": self.held_out_,
                "weights": {name: round(float(c), 4) for name, c in zip(self.parts_, self.coef_)},
                "intercept": round(float(self.intercept_), 4),
                "dropped": [c for c in self.columns_ if c not in self.parts_]}


def holdout_labels(history: pd.DataFrame, outcomes: pd.DataFrame | None, as_of) -> pd.DataFrame:
    """Per declaration of `history` with an outcome known before `as_of` (inspection day before it): its
    acceptance time, ``label`` (the latest control found a discrepancy) and ``random`` (it came from the random
    sample)."""
    columns = ["declaration_id", "when", "label", "random"]
    if outcomes is None or len(outcomes) == 0:
        return pd.DataFrame(columns=columns)
    known = outcomes.assign(declaration_id=outcomes["declaration_id"].astype(str),
                            _day=pd.to_datetime(outcomes["inspection_date"], errors="coerce").dt.floor("D"))
    known = known.loc[(known["_day"] < pd.Timestamp(as_of)).to_numpy()].sort_values("_day", kind="stable")
    known = known.drop_duplicates("declaration_id", keep="last")
    heads = history.assign(declaration_id=history["declaration_id"].astype(str)).drop_duplicates("declaration_id")
    heads = heads[["declaration_id", "acceptance_datetime"]].rename(columns={"acceptance_datetime": "when"})
    out = heads.merge(known, on="declaration_id", how="inner")
    out["label"] = (out["result"].astype(str).str.strip().str.lower() == "discrepancy").astype(float)
    out["random"] = (out["selection_reason"].astype(str).str.strip().str.lower() == "random").astype(float)
    out["when"] = pd.to_datetime(out["when"])
    return out[columns].sort_values("when", kind="stable").reset_index(drop=True)


def fit_combination(history: pd.DataFrame, outcomes: pd.DataFrame | None, as_of, fit_screens, engine_of,
                    holdout_share: float = 0.25, combination: LearnedCombination | None = None
                    ) -> LearnedCombination:
    """Learn the combination as of `as_of`: the latest `holdout_share` of the declarations with a known outcome
    (by acceptance day) form the holdout window; `fit_screens(history, outcomes, cut)` fits the screens as of the
    window's first day on what was known then, `engine_of(screens)` makes the engine (profiles, settings) that
    scores the window's declarations, and the combination is fitted on their out-of-time signals."""
    from smartcustoms.risk.assess import risk_signals

    combination = combination or LearnedCombination()
    labels = holdout_labels(history, outcomes, as_of)
    if len(labels) < combination.min_labelled:
        none = pd.DataFrame(index=range(len(labels)))  # no parts, one row per label (an empty frame broke .loc)
        return combination.fit_holdout(none, np.zeros(len(labels)), np.zeros(len(labels)), labels["when"])
    days = labels["when"].dt.floor("D")
    cut = days.iloc[min(len(days) - 1, int(len(days) * (1 - holdout_share)))]
    when = pd.to_datetime(history["acceptance_datetime"])
    before = history.loc[(when < cut).to_numpy()]
    window = labels.loc[(days >= cut).to_numpy()]
    if before.empty or window.empty:
        return combination.fit_holdout(pd.DataFrame(), np.zeros(0), np.zeros(0), [])
    engine = engine_of(fit_screens(before, outcomes, cut))
    items = history.loc[history["declaration_id"].astype(str).isin(set(window["declaration_id"])).to_numpy()]
    signals = risk_signals(items, engine)
    at = window.set_index("declaration_id").reindex(signals["declaration_id"].astype(str))
    parts = part_values(signals, list(engine.screens))
    combination.fit_holdout(parts, at["label"].to_numpy(), at["random"].to_numpy(), at["when"].to_numpy())
    combination.window_ = (str(cut.date()), str(pd.Timestamp(as_of).date()))
    return combination
