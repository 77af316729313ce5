"""Evaluation of the targeting model against a world's truth: a static split and a weekly simulation.

Pure functions, DataFrames in and out (the CLI is ``smartcustoms evaluate``). Truth (``truth.csv`` of a generated
world: ``fraud_type``, ``duty_at_stake``) is used to judge, never to fit, with one exception in the simulation:
the outcome of a declaration the simulated administration *chose to control* is read from the truth (fraud found
= ``fraud_type != "none"``, duty recovered = ``duty_at_stake``), exactly as a control would reveal it. Outcomes of
declarations that were not selected are never revealed.

Three strategies share every budget:

- **model**: `TargetingModel` fitted on the labelled controls known before the cut, ranked by its score.
- **profiles** ("manual targeting"): the declarations hit by the active (non-shadow, valid) risk profiles,
  ranked by the highest weight of a profile that hits them (then by the number of hits); when the hits do not
  fill the budget the rest is drawn at random, so every strategy controls the same number of declarations.
- **random**: a seeded random draw.

Metrics at a fraction n of the scored declarations (top ``max(1, round(n * rows))``): Precision@n% (share of the
selected that are frauds), Recall@n% (share of all frauds that are selected), Revenue@n% (share of the duty at
stake that the selected carry).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from smartcustoms.targeting.exploration import explore_value
from smartcustoms.targeting.features import declaration_features
from smartcustoms.targeting.metrics import precision_at
from smartcustoms.targeting.model import TargetingModel, explore

FRACTIONS = (0.01, 0.02, 0.05, 0.10)
CUT = "2025-10-01"
STRATEGIES = ("model", "profiles", "random")


# --- metrics ---------------------------------------------------------------------------------------------------

def top_count(rows: int, fraction: float) -> int:
    """How many rows the top `fraction` holds: ``max(1, round(fraction * rows))`` (as `precision_at`)."""
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    return max(1, int(round(fraction * rows)))


def _top(scores, fraction: float) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 1 or len(scores) == 0:
        raise ValueError("scores must be a non-empty 1-D array")
    return np.argsort(-scores, kind="stable")[: top_count(len(scores), fraction)]


def recall_at(scores, labels, fraction: float) -> float:
    """Recall@n%: the share of all positives that lie in the top `fraction` by score (NaN without positives)."""
    labels = np.asarray(labels, dtype=float)
    total = labels.sum()
    return float(labels[_top(scores, fraction)].sum() / total) if total > 0 else float("nan")


def revenue_at(scores, at_stake, fraction: float) -> float:
    """Revenue@n%: the share of the total duty at stake carried by the top `fraction` by score."""
    at_stake = np.nan_to_num(np.asarray(at_stake, dtype=float))
    total = at_stake.sum()
    return float(at_stake[_top(scores, fraction)].sum() / total) if total > 0 else float("nan")


def ranking_metrics(scores, fraud, at_stake, fractions: Iterable[float] = FRACTIONS) -> dict[str, float]:
    """``precision@n%``, ``recall@n%``, ``revenue@n%`` for each fraction, ``duty@n%`` (EUR) and ``auc``."""
    scores = np.asarray(scores, dtype=float)
    fraud = np.asarray(fraud, dtype=float)
    at_stake = np.nan_to_num(np.asarray(at_stake, dtype=float))
    out: dict[str, float] = {}
    for f in fractions:
        key = f"{f * 100:g}%"
        out[f"precision@{key}"] = precision_at(scores, fraud, f)
        out[f"recall@{key}"] = recall_at(scores, fraud, f)
        out[f"revenue@{key}"] = revenue_at(scores, at_stake, f)
        out[f"duty@{key}"] = float(at_stake[_top(scores, f)].sum())
    out["auc"] = float(roc_auc_score(fraud, scores)) if 0 < fraud.sum() < len(fraud) else float("nan")
    return out


def calibration_table(p, observed, bins: int = 10) -> pd.DataFrame:
    """Rows sorted by predicted probability and cut into `bins` groups of (nearly) equal size (deciles): per
    group ``decile`` (1 = lowest p), ``rows``, ``mean_p`` (mean predicted) and ``observed`` (mean outcome)."""
    p = np.asarray(p, dtype=float)
    observed = np.asarray(observed, dtype=float)
    if p.shape != observed.shape:
        raise ValueError("p and observed must have the same length")
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, bins)
    rows = [{"decile": i + 1, "rows": len(g), "mean_p": float(p[g].mean()), "observed": float(observed[g].mean())}
            for i, g in enumerate(groups) if len(g)]
    return pd.DataFrame(rows, columns=["decile", "rows", "mean_p", "observed"])


# --- strategies ------------------------------------------------------------------------------------------------

def truth_frame(truth: pd.DataFrame, index) -> pd.DataFrame:
    """Per declaration of `index`: ``fraud`` (1.0 when ``fraud_type != "none"``) and ``at_stake`` (EUR)."""
    t = truth.assign(declaration_id=truth["declaration_id"].astype("str")).set_index("declaration_id")
    fraud_type = t["fraud_type"].reindex(index).fillna("none").astype("str")
    return pd.DataFrame({"fraud": (fraud_type != "none").to_numpy(dtype=float),
                         "at_stake": pd.to_numeric(t["duty_at_stake"], errors="coerce").reindex(index)
                        .fillna(0.0).to_numpy(dtype=float)}, index=pd.Index(index, name="declaration_id"))


def with_new_importer(declarations: pd.DataFrame, truth: pd.DataFrame | None) -> pd.DataFrame:
    """The items with the ``new_importer`` column of the trader screen, taken from the truth when the frame lacks
    it (the world's truth carries it; profiles such as P-NEW-HIGHDUTY need it)."""
    if "new_importer" in declarations or truth is None or "new_importer" not in truth:
        return declarations
    flag = truth.assign(declaration_id=truth["declaration_id"].astype("str")).set_index("declaration_id")
    flag = flag["new_importer"].astype("str").str.strip().str.lower().isin(["true", "1", "yes"])
    return declarations.assign(
        new_importer=flag.reindex(declarations["declaration_id"].astype("str")).fillna(False).to_numpy(dtype=bool))


def profile_scores(profiles, declarations: pd.DataFrame, index, seed: int = 0) -> pd.Series:
    """A ranking score per declaration of `index` from the active profiles' hits on its goods items:
    ``1000 x highest selecting weight + number of selecting hits + u`` for a declaration hit, ``u - 1`` for one
    not hit (u uniform in [0, 1), seeded): hits first by weight, the rest of any budget drawn at random."""
    from smartcustoms.risk.profiles import evaluate as evaluate_profiles

    index = pd.Index(index, name="declaration_id")
    ids = declarations["declaration_id"].astype("str")
    items = declarations.loc[ids.isin(index).to_numpy()].reset_index(drop=True)
    hits = evaluate_profiles(list(profiles), items)
    hits = hits.loc[hits["selects"].astype(bool)]
    u = pd.Series(np.random.default_rng(seed).random(len(index)), index=index)
    if len(hits) == 0:
        return u - 1.0
    hit_ids = items["declaration_id"].astype("str").to_numpy()[hits["row"].to_numpy(dtype=int)]
    per = pd.DataFrame({"id": hit_ids, "weight": hits["weight"].to_numpy(dtype=float)}).groupby("id")["weight"]
    best = per.max().reindex(index)
    count = per.size().reindex(index)
    score = 1000.0 * best + count.clip(upper=999) + u
    return score.where(best.notna(), u - 1.0)


def random_scores(index, seed: int = 0) -> pd.Series:
    """A seeded random ranking."""
    return pd.Series(np.random.default_rng(seed).random(len(index)), index=pd.Index(index, name="declaration_id"))


# --- static evaluation -----------------------------------------------------------------------------------------

@dataclass
class Evaluation:
    """`evaluate_split` result: ``metrics`` (one row per strategy, columns of `ranking_metrics`), ``gain``
    (percentage points of model over profiles and over random, per metric), ``calibration`` (deciles of the
    model's p_fraud against the truth), and the sizes."""

    metrics: pd.DataFrame
    gain: pd.DataFrame
    calibration: pd.DataFrame
    info: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"info": self.info, "metrics": _records(self.metrics), "gain_pp": _records(self.gain),
                "calibration": self.calibration.to_dict(orient="records")}


def _records(frame: pd.DataFrame) -> dict:
    return {str(k): {c: (None if pd.isna(v) else float(v)) for c, v in row.items()} for k, row in frame.iterrows()}


def gain_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Percentage points of the model over each other strategy, on the share metrics (precision, recall,
    revenue, AUC)."""
    shares = [c for c in metrics.columns if not c.startswith("duty@")]
    rows = {f"model - {other}": (metrics.loc["model", shares] - metrics.loc[other, shares]) * 100
            for other in metrics.index if other != "model"}
    return pd.DataFrame(rows).T


def _train(train: pd.DataFrame, train_model: Callable | None, **parameters) -> TargetingModel:
    """A TargetingModel fitted on `train`: here, or by `train_model(train, **parameters)` (e.g. on Dask)."""
    if train_model is not None:
        return train_model(train, **parameters)
    return TargetingModel(**parameters).fit(train)


def evaluate_split(declarations: pd.DataFrame, inspections: pd.DataFrame, truth: pd.DataFrame, profiles,
                   cut: str = CUT, fractions: Iterable[float] = FRACTIONS, seed: int = 0, rank_by: str = "fraud",
                   n_jobs: int = 2, train_model: Callable | None = None) -> Evaluation:
    """Fit the model on declarations before `cut` (features as of each date, outcomes known before the cut),
    score the declarations from the cut on, and judge model, profiles and random against the truth.
    `train_model(train, **parameters)` fits the model elsewhere (smartcustoms.scale: on Dask)."""
    fractions = tuple(fractions)
    feats = declaration_features(declarations, inspections, as_of=cut)
    when = feats["declaration_date"]
    train, test = feats.loc[when < cut], feats.loc[when >= cut]
    model = _train(train, train_model, rank_by=rank_by, n_jobs=n_jobs, random_state=seed)
    scored = model.predict_proba(test)
    t = truth_frame(truth, test.index)
    scores = {"model": scored["score"].to_numpy(),
              "profiles": profile_scores(profiles, with_new_importer(declarations, truth), test.index, seed)
              .to_numpy(),
              "random": random_scores(test.index, seed + 1).to_numpy()}
    metrics = pd.DataFrame({name: ranking_metrics(s, t["fraud"], t["at_stake"], fractions)
                            for name, s in scores.items()}).T
    metrics.index.name = "strategy"
    hit_profiles = int((scores["profiles"] >= 0).sum())
    info = {"cut": str(cut), "train_rows": len(train), "labelled": int(train["label_fraud"].notna().sum()),
            "rows": len(test), "frauds": int(t["fraud"].sum()), "fraud_rate": float(t["fraud"].mean()),
            "duty_at_stake": float(t["at_stake"].sum()), "profile_hits": hit_profiles, "rank_by": rank_by}
    return Evaluation(metrics, gain_table(metrics), calibration_table(scored["p_fraud"], t["fraud"]), info)


# --- weekly simulation -----------------------------------------------------------------------------------------

@dataclass
class Simulation:
    """`simulate` result: ``weeks`` (one row per week: rows, budget, and for each strategy ``<s>_hit_rate``,
    ``<s>_frauds``, ``<s>_revenue``), ``outcomes`` (the simulated controls, inspections.csv columns plus
    ``week``: only declarations the model selected) and ``selected`` (per week, the ids the model selected)."""

    weeks: pd.DataFrame
    outcomes: pd.DataFrame
    selected: list[list[str]]
    info: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        totals = {}
        for s in STRATEGIES:
            n = self.weeks["budget"].sum()
            totals[s] = {"hit_rate": float(self.weeks[f"{s}_frauds"].sum() / n) if n else None,
                         "frauds": int(self.weeks[f"{s}_frauds"].sum()),
                         "revenue": float(self.weeks[f"{s}_revenue"].sum())}
        weeks = self.weeks.assign(start=self.weeks["start"].astype("str"))
        return {"info": self.info, "weeks": weeks.to_dict(orient="records"), "totals": totals}


OUTCOME_COLUMNS = ["declaration_id", "inspection_date", "control_type", "selection_reason", "result",
                   "infringement", "duty_recovered"]


def reveal(selected: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The outcomes of the controls of `selected` (index ``declaration_id``; columns ``declaration_date`` and
    ``selection``, "score" or "exploration"): fraud found when the truth has one, duty recovered = duty at stake,
    dated on the declaration's day. Only these rows are read from the truth."""
    t = truth_frame(truth, selected.index)
    found = t["fraud"].to_numpy() == 1
    return pd.DataFrame({
        "declaration_id": selected.index.astype("str"),
        "inspection_date": pd.to_datetime(selected["declaration_date"]).dt.floor("D").to_numpy(),
        "control_type": "physical",
        "selection_reason": np.where(selected["selection"].to_numpy() == "exploration", "exploration", "risk"),
        "result": np.where(found, "discrepancy", "no_discrepancy"),
        "infringement": "",
        "duty_recovered": np.where(found, t["at_stake"].to_numpy(), 0.0),
    }, columns=OUTCOME_COLUMNS)


def simulate(declarations: pd.DataFrame, inspections: pd.DataFrame, truth: pd.DataFrame, profiles,
             cut: str = CUT, weeks: int = 8, fraction: float = 0.05, explore_share: float = 0.10, seed: int = 0,
             rank_by: str = "fraud", n_jobs: int = 2,
             on_week: Callable[[int, dict], None] | None = None, train_model: Callable | None = None) -> Simulation:
    """Week by week from `cut`: fit the model on every outcome known before the week (the historic controls
    inspected before the cut, plus the simulated controls of earlier weeks), select `fraction` of the week's
    declarations (with an `explore_share` of the budget drawn by `explore`), reveal the outcomes of the selected
    only, and add them to the known outcomes. Profiles and random control the same number of declarations of
    the same week (they do not learn). `on_week(week, row)` is called after each week."""
    ids = declarations["declaration_id"].astype("str")
    when = pd.to_datetime(declarations["acceptance_datetime"], errors="coerce")
    items = declarations.assign(declaration_id=ids)
    flagged = with_new_importer(items, truth)
    insp = inspections.assign(declaration_id=inspections["declaration_id"].astype("str"),
                              inspection_date=pd.to_datetime(inspections["inspection_date"], errors="coerce"))
    start0 = pd.Timestamp(cut)
    historic = insp.loc[insp["inspection_date"] < start0, OUTCOME_COLUMNS]
    simulated = pd.DataFrame(columns=[*OUTCOME_COLUMNS, "week"])
    rows, selected_ids = [], []
    for week in range(weeks):
        start, end = start0 + pd.Timedelta(days=7 * week), start0 + pd.Timedelta(days=7 * (week + 1))
        known = pd.concat([historic, simulated[OUTCOME_COLUMNS]], ignore_index=True) if len(simulated) \
            else historic
        upto = (when < end).to_numpy()
        feats = declaration_features(items.loc[upto], known, as_of=start)
        day = feats["declaration_date"]
        train, current = feats.loc[day < start], feats.loc[(day >= start) & (day < end)]
        if len(current) == 0:
            break
        model = _train(train, train_model, rank_by=rank_by, n_jobs=n_jobs, random_state=seed)
        scored = model.predict_proba(current)
        budget = top_count(len(current), fraction)
        chosen = explore(scored, budget, share=explore_share, seed=seed + week)
        chosen = chosen.loc[chosen["selected"]].assign(declaration_date=current["declaration_date"])
        outcome = reveal(chosen, truth).assign(week=week + 1)
        simulated = pd.concat([simulated, outcome], ignore_index=True) if len(simulated) else outcome
        selected_ids.append(list(chosen.index.astype("str")))

        t = truth_frame(truth, current.index)
        picks = {"model": chosen.index}
        for name, score in (("profiles", profile_scores(profiles, flagged.loc[upto], current.index, seed + week)),
                            ("random", random_scores(current.index, seed + 1000 + week))):
            picks[name] = score.index[np.argsort(-score.to_numpy(), kind="stable")[:budget]]
        row = {"week": week + 1, "start": start.date(), "rows": len(current), "budget": budget,
               "labelled": int(train["label_fraud"].notna().sum()), "fraud_rate": float(t["fraud"].mean())}
        for name, pick in picks.items():
            row[f"{name}_frauds"] = int(t.loc[pick, "fraud"].sum())
            row[f"{name}_hit_rate"] = float(t.loc[pick, "fraud"].mean())
            row[f"{name}_revenue"] = float(t.loc[pick, "at_stake"].sum())
        row["explored_frauds"] = int(t.loc[chosen.index[chosen["selection"] == "exploration"], "fraud"].sum())
        rows.append(row)
        if on_week is not None:
            on_week(week + 1, row)
    info = {"cut": str(cut), "weeks": len(rows), "fraction": fraction, "explore_share": explore_share,
            "rank_by": rank_by}
    return Simulation(pd.DataFrame(rows), simulated, selected_ids, info)


# --- worlds ----------------------------------------------------------------------------------------------------

def read_world(folder) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """declarations.parquet, inspections.csv and truth.csv of a folder written by ``smartcustoms generate``."""
    folder = Path(folder)
    declarations = pd.read_parquet(folder / "declarations.parquet")
    inspections = pd.read_csv(folder / "inspections.csv", dtype={"declaration_id": "str"},
                              keep_default_na=False, na_values=[""])
    truth = pd.read_csv(folder / "truth.csv", dtype={"declaration_id": "str", "fraud_type": "str"},
                        keep_default_na=False, na_values=[""])
    return declarations, inspections, truth


# --- the learning loop under selection bias (online) -----------------------------------------------------------

ONLINE_STRATEGIES = ("exploration", "exploit", "rules")


@dataclass
class OnlineSimulation:
    """`simulate_online` result: ``weeks`` (one row per week and strategy: ``strategy``, ``week``, ``start``,
    ``rows``, ``budget``, ``frauds``, ``hit_rate``, ``duty``, ``cumulative_duty``, ``labelled``; ``explored``,
    ``explored_frauds``, ``explored_duty``: the controls the exploration share chose and what they found; ``auc``:
    how well the learner's model of the week ranks all the week's declarations against the truth, judging only,
    NaN for rules) and ``info``."""

    weeks: pd.DataFrame
    info: dict = field(default_factory=dict)

    def totals(self) -> dict:
        out = {}
        for name, rows in self.weeks.groupby("strategy", sort=False):
            out[name] = {"duty": float(rows["duty"].sum()), "frauds": int(rows["frauds"].sum()),
                         "controls": int(rows["budget"].sum()),
                         "hit_rate": float(rows["frauds"].sum() / max(rows["budget"].sum(), 1)),
                         "explored": int(rows["explored"].sum()), "explored_duty": float(rows["explored_duty"].sum())}
        return out

    def to_json(self) -> dict:
        weeks = self.weeks.assign(start=self.weeks["start"].astype("str"))
        return {"info": self.info, "totals": self.totals(), "weeks": weeks.to_dict(orient="records")}


def simulate_online(declarations: pd.DataFrame, inspections: pd.DataFrame, truth: pd.DataFrame, profiles,
                    cut: str, weeks: int = 26, fraction: float = 0.05, explore_share: float = 0.2, seed: int = 0,
                    n_jobs: int = 2, on_week: Callable[[int], None] | None = None, half_life: float | None = 4.0,
                    how: str = "safe", strategies: tuple[str, ...] = ONLINE_STRATEGIES,
                    bonus: float = 1.0, rank_by: str = "fraud") -> OnlineSimulation:
    """Weekly targeting from `cut` under selection bias, three strategies on the same budget (`fraction` of each
    week's declarations):

    - **exploit**: the targeting model, refitted each week on the outcomes it has learnt (the historic controls
      before the cut and its own selections since), selects its top declarations;
    - **exploration**: the same, with a share of the budget chosen by `explore` among declarations the model is
      unsure of or knows little about (DATE/gATE-style exploration): `explore_share` in the first week, halved
      every `half_life` weeks (None: the same share every week; the model learns most from its first labels of
      what it has not seen, and each later week of exploration costs more than it teaches), chosen by their
      upper bound (``how="optimistic"``), drawn at random (``how="draw"``), or by their optimistic expected duty
      (``how="value"``: `explore_value`, upper bound of p(fraud) with an optimism of `bonus` standard errors,
      times the model's duty if fraud), or the same where the model expects at least the duty of the exploit
      pick it replaces (``how="safe"``, conservative exploration: the default);
    - **rules**: rule-based selection, the active profiles' hits by weight (random beyond them); rules do not
      learn.

    The learners rank by p(fraud) (``rank_by="fraud"``) or by the duty they expect, p(fraud) x duty if fraud
    (``rank_by="revenue"``).

    Only selected declarations get outcomes (read from the truth: fraud found, duty at stake recovered), and each
    learning strategy learns from its own selections only."""
    ids = declarations["declaration_id"].astype("str")
    when = pd.to_datetime(declarations["acceptance_datetime"], errors="coerce")
    items = declarations.assign(declaration_id=ids)
    flagged = with_new_importer(items, truth)
    insp = inspections.assign(declaration_id=inspections["declaration_id"].astype("str"),
                              inspection_date=pd.to_datetime(inspections["inspection_date"], errors="coerce"))
    start0 = pd.Timestamp(cut)
    historic = insp.loc[insp["inspection_date"] < start0, OUTCOME_COLUMNS]
    learnt = {"exploit": historic, "exploration": historic}
    rows, cumulative = [], {name: 0.0 for name in strategies}
    for week in range(weeks):
        start, end = start0 + pd.Timedelta(days=7 * week), start0 + pd.Timedelta(days=7 * (week + 1))
        upto = (when < end).to_numpy()
        current_ids = pd.Index(pd.unique(ids[((when >= start) & (when < end)).to_numpy()]))
        if len(current_ids) == 0:
            break
        budget = top_count(len(current_ids), fraction)
        t = truth_frame(truth, current_ids)
        picks = {}
        shares = {"exploit": 0.0, "exploration": explore_share * (0.5 ** (week / half_life) if half_life else 1.0)}
        for name in [s for s in ("exploit", "exploration") if s in strategies]:
            feats = declaration_features(items.loc[upto], learnt[name], as_of=start)
            day = feats["declaration_date"]
            train, current = feats.loc[day < start], feats.loc[(day >= start) & (day < end)]
            model = TargetingModel(n_jobs=n_jobs, random_state=seed, rank_by=rank_by).fit(train)
            scored = model.predict_proba(current)
            if how in ("value", "safe"):
                chosen = explore_value(scored, budget, share=shares[name], bonus=bonus, safe=how == "safe")
            else:
                chosen = explore(scored, budget, share=shares[name], seed=seed + week, how=how)
            truth_now = t.reindex(scored.index)  # judging only: how well the week's model ranks the week
            auc = (float(roc_auc_score(truth_now["fraud"], scored["p_fraud"]))
                   if truth_now["fraud"].nunique() == 2 else float("nan"))
            chosen = chosen.loc[chosen["selected"]].assign(declaration_date=current["declaration_date"])
            learnt[name] = pd.concat([learnt[name], reveal(chosen, truth)[OUTCOME_COLUMNS]], ignore_index=True)
            picks[name] = (chosen.index, int(train["label_fraud"].notna().sum()),
                           chosen.index[chosen["selection"].to_numpy() == "exploration"], auc)
        if "rules" in strategies:
            rules = profile_scores(profiles, flagged.loc[upto], current_ids, seed + week)
            picks["rules"] = (rules.index[np.argsort(-rules.to_numpy(), kind="stable")[:budget]], 0,
                              pd.Index([]), float("nan"))
        for name in strategies:
            pick, labelled, explored, auc = picks[name]
            duty = float((t.loc[pick, "fraud"] * t.loc[pick, "at_stake"]).sum())
            cumulative[name] += duty
            rows.append({"strategy": name, "week": week + 1, "start": start.date(), "rows": len(current_ids),
                         "budget": budget, "frauds": int(t.loc[pick, "fraud"].sum()),
                         "hit_rate": float(t.loc[pick, "fraud"].mean()), "duty": duty,
                         "cumulative_duty": cumulative[name], "labelled": labelled, "explored": len(explored),
                         "explored_frauds": int(t.loc[explored, "fraud"].sum()),
                         "explored_duty": float((t.loc[explored, "fraud"] * t.loc[explored, "at_stake"]).sum()),
                         "auc": auc})
        if on_week is not None:
            on_week(week + 1)
    info = {"cut": str(cut), "weeks": len(rows) // max(len(strategies), 1), "fraction": fraction,
            "explore_share": explore_share, "half_life": half_life, "how": how, "bonus": bonus, "rank_by": rank_by}
    return OnlineSimulation(pd.DataFrame(rows), info)


def online_chart(simulation: OnlineSimulation, fmt: str = "png") -> bytes:
    """Cumulative duty recovered per week and strategy (line chart, PNG or SVG)."""
    from smartcustoms.charts import line_chart

    frame = simulation.weeks.pivot(index="week", columns="strategy", values="cumulative_duty").reset_index()
    info = simulation.info
    return line_chart(frame, "week", [c for c in ONLINE_STRATEGIES if c in frame.columns],
                      f"Cumulative duty recovered, {info['weeks']} weeks from {info['cut']} "
                      f"(budget {info['fraction']:.0%} of each week)", "week", "duty recovered (EUR)", fmt=fmt)
