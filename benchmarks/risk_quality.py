"""Quality of the risk engine: what each screen, the combined score and the published profiles would catch.

Part 1, synthetic world: the screens are fitted on the declarations and the control outcomes dated before
2025-10-01 and judged on the declarations of October to December against the world's ground truth (used for
evaluation only). For each screen alone (item scores folded per declaration by their maximum), the combined
risk score of ``assess`` (fitted screens, the profiles in ``profiles/``, the selectivity of
``config/risk.yaml``) and the published profiles alone (declarations with an active profile hit, ranked by
profile weight: the "manual targeting" baseline), it reports precision, recall and duty at stake captured per
fraud type at inspection budgets of 1, 2, 5 and 10 % of the declarations, the lanes' outcome, and checks the
targets.

Part 2, Korea Customs Service data (CTGAN-synthetic, see /work/shared/data/kcs-customs-declarations/SOURCE.md):
train and valid are converted with the shipped ``kcs`` mapping and validated (rows that fail are dropped), the
valuation screen is fitted on train and scores valid; Precision@n% of the valuation score against ``Fraud``.

Prints the tables and writes them to docs/risk-engine.md (between ``<!-- quality:start -->`` and
``<!-- quality:end -->``; ``--drift`` writes the ``quality-drift`` section instead) and a line to
docs/benchmarks.md.

    .venv/bin/python benchmarks/risk_quality.py [--declarations 100000] [--seed 42] [--drift] [--kcs DIR]
                                                [--no-kcs] [--no-docs]
"""

import argparse
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd

from report import machine, update_section
from smartcustoms.declarations.mapping import load_mapping
from smartcustoms.declarations.validate import validate
from smartcustoms.risk.assess import RiskEngine, assess
from smartcustoms.risk.classification import ClassificationScreen
from smartcustoms.risk.config import load_config
from smartcustoms.risk.origin import OriginScreen
from smartcustoms.risk.profiles import load_profile_dir
from smartcustoms.risk.quality import capture_at_budget, to_declarations, top_share
from smartcustoms.risk.service import fit_screens
from smartcustoms.risk.traders import TraderRisk
from smartcustoms.risk.valuation import ValuationScreen
from smartcustoms.world import WorldConfig, generate

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "risk-engine.md"
KCS_DEFAULT = Path("/work/shared/data/kcs-customs-declarations")
AS_OF = pd.Timestamp("2025-10-01")
END = pd.Timestamp("2026-01-01")
BUDGETS = (0.01, 0.02, 0.05, 0.10)
HEADLINE_BUDGET = 0.05
FRAUD_TYPES = ("undervaluation", "misclassification", "false_origin", "understated_quantity", "prohibited_goods")
SCREENS = ("valuation", "classification", "origin", "trader")
SCREEN_CLASSES = {"valuation": ValuationScreen, "classification": ClassificationScreen, "origin": OriginScreen,
                  "trader": TraderRisk}
TARGETS = (  # (scorer, fraud type, measure, threshold; None = relative to the base rate), at a 5 % budget
    ("valuation", "undervaluation", "recall", 0.60),
    ("classification", "misclassification", "recall", 0.50),
    ("combined", "any", "precision", None),
)
LIFT_TARGET = 5.0


# --- doc section -------------------------------------------------------------------------------------------------

def update_doc_section(path: Path, key: str, body: str) -> None:
    """Replace the text between <!-- key:start --> and <!-- key:end --> in ``path`` (append the pair if absent)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    section = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text and text.index(start) < text.index(end):
        text = text[: text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


# --- measuring ---------------------------------------------------------------------------------------------------

def timed_fit(history, outcomes, config) -> tuple[dict, dict[str, float]]:
    """``fit_screens`` as the service runs it, with the fit time of each screen class recorded."""
    seconds: dict[str, float] = {}
    with ExitStack() as stack:
        for name, cls in SCREEN_CLASSES.items():
            original = cls.fit

            def fit(self, *args, _original=original, _name=name, **kwargs):
                started = time.perf_counter()
                try:
                    return _original(self, *args, **kwargs)
                finally:
                    seconds[_name] = seconds.get(_name, 0.0) + time.perf_counter() - started

            stack.enter_context(mock.patch.object(cls, "fit", fit))
        screens = fit_screens(history, outcomes, AS_OF, config)
    return screens, seconds


def capture(scores: pd.Series, truth: pd.DataFrame, tiebreak: pd.Series | None = None,
            fill: bool = True) -> pd.DataFrame:
    """``capture_at_budget`` over the population ``scores.index``. With ``fill=False`` only declarations with a
    score (not NaN) can be selected: when there are fewer of them than the budget, the budget is not filled."""
    if fill:
        return capture_at_budget(scores, truth, BUDGETS, tiebreak=tiebreak)
    candidates = scores.dropna()
    parts = []
    for budget in BUDGETS:
        n = min(int(round(budget * len(scores))), len(candidates))
        chosen = top_share(candidates, n / len(candidates), tiebreak) if len(candidates) else candidates.index
        indicator = pd.Series(0.0, index=scores.index)
        indicator[chosen] = 1.0
        part = capture_at_budget(indicator, truth, [len(chosen) / len(scores)])
        parts.append(part.assign(budget=budget))
    return pd.concat(parts, ignore_index=True)


def world_part(args) -> dict:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    world = generate(WorldConfig(declarations=args.declarations, seed=args.seed, drift=args.drift))
    timings["generate the world"] = time.perf_counter() - started

    declarations = world.declarations
    accepted = pd.to_datetime(declarations["acceptance_datetime"])
    history = declarations[accepted < AS_OF]
    inspections = world.inspections
    outcomes = inspections[pd.to_datetime(inspections["inspection_date"]) < AS_OF]
    test = declarations[(accepted >= AS_OF) & (accepted < END)].reset_index(drop=True)
    truth = world.truth[world.truth["declaration_id"].isin(test["declaration_id"])]
    ids = pd.Index(test["declaration_id"].unique(), name="declaration_id")

    # the risk engine's four screens; the targeting model is measured by `smartcustoms evaluate`
    config = load_config(ROOT / "config" / "risk.yaml").model_copy(update={"model": False})
    started = time.perf_counter()
    screens, fit_seconds = timed_fit(history, outcomes, config)
    timings["fit the four screens"] = time.perf_counter() - started
    for name in SCREENS:
        timings[f"  of which {name}"] = fit_seconds.get(name, float("nan"))

    results: dict[str, pd.DataFrame] = {}
    started = time.perf_counter()
    for name in SCREENS:
        per = to_declarations(test, screens[name].score(test), name).reindex(ids)
        results[name] = capture(per[f"{name}_score"], truth, tiebreak=per[f"{name}_duty_at_risk"])
    timings["score each screen alone"] = time.perf_counter() - started

    profiles = load_profile_dir(ROOT / "profiles")
    engine = RiskEngine(screens=screens, profiles=profiles, settings=config.selectivity)
    started = time.perf_counter()
    decided = assess(test, engine).set_index("declaration_id").reindex(ids)
    timings["assess (screens, profiles, selectivity)"] = time.perf_counter() - started
    results["combined"] = capture(decided["risk_score"], truth, tiebreak=decided["duty_at_risk"])

    # manual targeting: active profile hits only, by summed weight; ties by the declared duty (value x rate)
    declared_duty = (test["customs_value"] * test["duty_rate"] / 100).groupby(test["declaration_id"]).sum()
    weight = decided["profile_weight"].where(decided["profile_weight"] > 0)
    results["profiles"] = capture(weight, truth, tiebreak=declared_duty.reindex(ids), fill=False)

    known = truth.set_index("declaration_id").reindex(ids)
    fraud = known["fraud_type"].ne("none")
    stake = known["duty_at_stake"].fillna(0.0)
    lanes = lane_outcome(decided, fraud, stake)
    return {
        "world": world, "test": test, "ids": ids, "history_declarations": history["declaration_id"].nunique(),
        "outcomes": len(outcomes), "results": results, "lanes": lanes, "base_rate": float(fraud.mean()),
        "frauds": int(fraud.sum()), "stake": float(stake.sum()), "timings": timings,
        "profiles_active": sum(1 for p in profiles if not p.shadow), "profiles_shadow": sum(p.shadow for p in profiles),
        "profile_declarations": int(weight.notna().sum()),
    }


def lane_outcome(decided: pd.DataFrame, fraud: pd.Series, stake: pd.Series) -> pd.DataFrame:
    """Fraud among the declarations of each lane (the share a control that finds everything would hit)."""
    random = decided["random"].astype(bool)
    lane = decided["lane"]
    groups = {
        "red, selected by risk": lane.eq("red") & ~random,
        "yellow, selected by risk": lane.eq("yellow") & ~random,
        "red + yellow, selected by risk": lane.isin(["red", "yellow"]) & ~random,
        "random controls (red)": random,
        "blue (release, audit later)": lane.eq("blue"),
        "green (release)": lane.eq("green"),
        "all declarations (base rate)": pd.Series(True, index=decided.index),
    }
    total_stake = stake.sum()
    rows = []
    for name, mask in groups.items():
        n = int(mask.sum())
        rows.append({"group": name, "declarations": n, "share": n / len(decided), "fraudulent": int(fraud[mask].sum()),
                     "hit_rate": float(fraud[mask].mean()) if n else np.nan,
                     "duty_share": float(stake[mask].sum() / total_stake) if total_stake else np.nan})
    return pd.DataFrame(rows)


def kcs_frame(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, int, pd.Series]:
    """A KCS file as our frame: (valid rows, the raw rows, rows read, rejected rows by reason)."""
    raw = pd.read_csv(path, dtype=str)
    raw.insert(0, "row_number", np.arange(2, len(raw) + 2))  # line numbers: the header is line 1
    checked = validate(load_mapping("kcs").apply(raw))
    rejects = checked.rejects.drop_duplicates("row_number")  # one reason per rejected row (its first)
    reasons = rejects["reason"].str.replace(r"^\d+ is not an HS 2022 subheading$", "not an HS 2022 subheading",
                                            regex=True)
    reasons = (rejects["field"] + ": " + reasons).value_counts()
    return checked.valid, raw, len(raw), reasons


def kcs_part(directory: Path) -> dict:
    started = time.perf_counter()
    train, train_raw, train_read, train_reasons = kcs_frame(directory / "df_syn_train_eng.csv")
    valid, valid_raw, valid_read, valid_reasons = kcs_frame(directory / "df_syn_valid_eng.csv")
    as_of = pd.to_datetime(valid["acceptance_datetime"]).min()
    # every KCS row was inspected: the train labels are the outcomes known before the valid period
    labels = train_raw.set_index("Declaration ID")["Fraud"].astype(int)
    outcomes = pd.DataFrame({"declaration_id": labels.index.astype(str),
                             "inspection_date": pd.to_datetime(train_raw["Date"]).to_numpy(),
                             "result": np.where(labels.to_numpy() == 1, "discrepancy", "no_discrepancy"),
                             "infringement": ""})
    truth = valid_raw.set_index("Declaration ID")["Fraud"].astype(int)
    variants = {}
    for variant, known in (("with train outcomes", outcomes), ("without outcomes", None)):
        screen = ValuationScreen().fit(train, known, as_of=as_of)
        per = to_declarations(valid, screen.score(valid), "valuation")
        label = truth.reindex(per.index.astype(str)).to_numpy()
        if np.isnan(label.astype(float)).any():
            raise RuntimeError("a valid declaration has no Fraud label")
        label = pd.Series(label.astype(int), index=per.index)
        base = float(label.mean())
        rows = []
        for budget in BUDGETS:
            chosen = top_share(per["valuation_score"], budget, tiebreak=per["valuation_duty_at_risk"])
            precision = float(label[chosen].mean())
            rows.append({"budget": budget, "selected": len(chosen), "frauds": int(label[chosen].sum()),
                         "precision": precision, "lift": precision / base})
        variants[variant] = {
            "table": pd.DataFrame(rows), "base": base, "population": len(per),
            "checked": int(per["valuation_score"].notna().sum()),
            "excluded": screen.n_excluded_declarations_, "reference_rows": screen.n_reference_rows_,
        }
    return {"variants": variants, "train_read": train_read, "valid_read": valid_read,
            "train_valid": train["declaration_id"].nunique(), "valid_valid": valid["declaration_id"].nunique(),
            "train_reasons": train_reasons, "valid_reasons": valid_reasons,
            "seconds": time.perf_counter() - started, "directory": directory}


# --- tables ------------------------------------------------------------------------------------------------------

def pct(value: float, digits: int = 1) -> str:
    return "-" if value is None or value != value else f"{100 * value:.{digits}f}"


def budget_name(budget: float) -> str:
    return f"{100 * budget:g} %"


def cell(result: pd.DataFrame, budget: float, kind: str, measure: str) -> float:
    row = result[(result["budget"] == budget) & (result["fraud_type"] == kind)]
    return float(row[measure].iloc[0]) if len(row) else float("nan")


def scorer_table(result: pd.DataFrame) -> str:
    kinds = ["any", *[k for k in FRAUD_TYPES if k in set(result["fraud_type"])]]
    lines = ["| fraud type | frauds | " + " | ".join(budget_name(b) for b in BUDGETS) + " |",
             "| --- | ---: | " + " | ".join("---:" for _ in BUDGETS) + " |"]
    for kind in kinds:
        frauds = int(result[(result["fraud_type"] == kind)]["frauds"].iloc[0])
        cells = [f"{pct(cell(result, b, kind, 'precision'))} / {pct(cell(result, b, kind, 'recall'))} / "
                 f"{pct(cell(result, b, kind, 'duty_share'))}" for b in BUDGETS]
        lines.append(f"| {kind} | {frauds:,} | " + " | ".join(cells) + " |")
    selected = [int(result[result["budget"] == b]["selected"].iloc[0]) for b in BUDGETS]
    lines.append("| *declarations selected* | | " + " | ".join(f"{n:,}" for n in selected) + " |")
    return "\n".join(lines)


NAMES = {"valuation": "valuation screen alone", "classification": "classification screen alone",
         "origin": "origin screen alone", "trader": "trader screen alone",
         "combined": "combined risk score (`assess`)", "profiles": "manual targeting: published profiles alone"}


def headline_table(results: dict, base: float) -> str:
    b = HEADLINE_BUDGET
    header = ("| scorer | selected | precision | lift over base | recall (any) | "
              + " | ".join(f"recall {k.replace('_', ' ')}" for k in FRAUD_TYPES) + " | duty at stake captured |")
    lines = [header, "| --- | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in FRAUD_TYPES) + " | ---: |"]
    for name in ("combined", *SCREENS, "profiles"):
        result = results[name]
        precision = cell(result, b, "any", "precision")
        selected = int(result[result["budget"] == b]["selected"].iloc[0])
        lines.append(f"| {NAMES[name]} | {selected:,} | {pct(precision)} % | {precision / base:.1f} x | "
                     f"{pct(cell(result, b, 'any', 'recall'))} % | "
                     + " | ".join(f"{pct(cell(result, b, k, 'recall'))} %" for k in FRAUD_TYPES)
                     + f" | {pct(cell(result, b, 'any', 'duty_share'))} % |")
    return "\n".join(lines)


def target_rows(results: dict, base: float) -> list[tuple[str, str, str, bool]]:
    rows = []
    for scorer, kind, measure, threshold in TARGETS:
        value = cell(results[scorer], HEADLINE_BUDGET, kind, measure)
        if threshold is None:
            passed = value >= LIFT_TARGET * base
            rows.append((f"{NAMES[scorer]}: {measure} ({kind}) at a 5 % budget",
                         f"{pct(value)} % ({value / base:.1f} x the base rate {pct(base, 2)} %)",
                         f">= {LIFT_TARGET:g} x base = {pct(LIFT_TARGET * base)} %", passed))
        else:
            rows.append((f"{NAMES[scorer]}: {measure} ({kind.replace('_', ' ')}) at a 5 % budget",
                         f"{pct(value)} %", f">= {pct(threshold, 0)} %", value >= threshold))
    return rows


def targets_table(rows) -> str:
    lines = ["| target | measured | threshold | result |", "| --- | ---: | ---: | --- |"]
    lines += [f"| {name} | {value} | {threshold} | {'PASS' if ok else 'FAIL'} |" for name, value, threshold, ok in rows]
    return "\n".join(lines)


def lanes_table(lanes: pd.DataFrame) -> str:
    lines = ["| group | declarations | share | fraudulent | hit rate | duty at stake in the group |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in lanes.itertuples():
        lines.append(f"| {row.group} | {row.declarations:,} | {pct(row.share)} % | {row.fraudulent:,} | "
                     f"{pct(row.hit_rate)} % | {pct(row.duty_share)} % |")
    return "\n".join(lines)


def timings_table(timings: dict) -> str:
    lines = ["| step | seconds |", "| --- | ---: |"]
    lines += [f"| {step} | {seconds:.1f} |" for step, seconds in timings.items()]
    return "\n".join(lines)


def kcs_tables(kcs: dict) -> str:
    main = kcs["variants"]["with train outcomes"]
    other = kcs["variants"]["without outcomes"]
    lines = ["| budget | declarations selected | frauds among them | Precision@n% | lift over random |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for row in main["table"].itertuples():
        lines.append(f"| {budget_name(row.budget)} | {row.selected:,} | {row.frauds:,} | {row.precision:.3f} | "
                     f"{row.lift:.2f} x |")
    lines.append(f"| random ranking (base rate) | {main['population']:,} | "
                 f"{int(round(main['base'] * main['population'])):,} | {main['base']:.3f} | 1.00 x |")

    def reasons(series: pd.Series) -> str:
        return "; ".join(f"{reason} {count:,}" for reason, count in series.items())

    precisions = ", ".join(f"{budget_name(r.budget)} {r.precision:.3f}" for r in other["table"].itertuples())
    return "\n".join([
        *lines,
        "",
        f"Rows: train {kcs['train_read']:,} read, {kcs['train_valid']:,} valid, "
        f"{kcs['train_read'] - kcs['train_valid']:,} dropped by validation ({reasons(kcs['train_reasons'])}); "
        f"valid {kcs['valid_read']:,} read, {kcs['valid_valid']:,} valid, "
        f"{kcs['valid_read'] - kcs['valid_valid']:,} dropped ({reasons(kcs['valid_reasons'])}). "
        f"Precision and the base rate are over the {main['population']:,} valid rows of the valid split.",
        "",
        f"The screen learnt from {main['reference_rows']:,} train rows: the {main['excluded']:,} train declarations "
        "labelled Fraud = 1 are left out of the reference prices as the screen does with declarations whose "
        "control found a discrepancy (every KCS row was inspected). "
        f"{main['checked']:,} of the {main['population']:,} valid rows found a reference cell (HS6 x origin, HS6, "
        "heading or chapter, with at least 20 earlier imports); the others have no score and rank last. "
        f"Fitted on all train rows without the outcomes: Precision@n% {precisions}.",
    ])


# --- main --------------------------------------------------------------------------------------------------------

def command(args) -> str:
    parts = [".venv/bin/python benchmarks/risk_quality.py", f"--declarations {args.declarations}",
             f"--seed {args.seed}"]
    if args.drift:
        parts.append("--drift")
    if args.kcs != KCS_DEFAULT:
        parts.append(f"--kcs {args.kcs}")
    if args.no_kcs:
        parts.append("--no-kcs")
    return " ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--drift", action="store_true", help="generate the world with drifting fraud hot spots")
    parser.add_argument("--kcs", type=Path, default=KCS_DEFAULT, help="folder with df_syn_train_eng.csv and "
                        "df_syn_valid_eng.csv")
    parser.add_argument("--no-kcs", action="store_true", help="skip the KCS part")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave the docs as they are")
    args = parser.parse_args()
    started = time.perf_counter()

    part = world_part(args)
    results, base = part["results"], part["base_rate"]
    rows = target_rows(results, base)
    world_text = "\n".join([
        f"World: {args.declarations:,} declarations, seed {args.seed}, drift {'on' if args.drift else 'off'}. "
        f"Screens fitted on the {part['history_declarations']:,} declarations accepted before "
        f"{AS_OF:%Y-%m-%d} and the {part['outcomes']:,} control outcomes dated before it; judged on the "
        f"{len(part['ids']):,} declarations of October to December ({len(part['test']):,} goods items), of which "
        f"{part['frauds']:,} are fraudulent (base rate {pct(base, 2)} %, {part['stake']:,.0f} EUR duty at stake) "
        "by the ground truth, which serves only here.",
        "",
        "### Targets",
        "",
        targets_table(rows),
        "",
        f"### Headline: a {budget_name(HEADLINE_BUDGET)} inspection budget",
        "",
        "The top 5 % of the October-December declarations by each score. Precision and recall count fraudulent "
        "declarations (any type for precision); lift = precision / base rate.",
        "",
        headline_table(results, base),
        "",
        "### Per fraud type and budget",
        "",
        "Each cell: precision % / recall % / share of the duty at stake of that type captured %, for the top 1, 2, "
        "5 and 10 % of declarations by the score. A screen's score per declaration is the highest score of its "
        "goods items; ties are broken by the duty at risk. Precision for a fraud type is the share of the "
        "selected declarations that carry that type.",
        "",
        *[line for name in ("combined", *SCREENS, "profiles") for line in (
            f"**{NAMES[name][0].upper() + NAMES[name][1:]}**", "", scorer_table(results[name]), "")],
        f"Profiles alone: {part['profiles_active']} active profiles ({part['profiles_shadow']} in shadow, which "
        f"select nothing) hit {part['profile_declarations']:,} declarations "
        f"({pct(part['profile_declarations'] / len(part['ids']))} %); they are ranked by their summed profile "
        "weight, ties by declared duty. Where they hit fewer declarations than the budget, the budget is not "
        "filled (see *declarations selected*).",
        "",
        "### Lanes: what selectivity actually chose",
        "",
        "Lanes from `assess` with `config/risk.yaml` (thresholds, capacity per office and day, 2 % random "
        "controls). Hit rate = share of the group's declarations that are fraudulent by the ground truth, i.e. "
        "what a control that finds every fraud would hit.",
        "",
        lanes_table(part["lanes"]),
        "",
        "### Run time",
        "",
    ])
    kcs = None
    if not args.no_kcs:
        if (args.kcs / "df_syn_train_eng.csv").exists():
            kcs = kcs_part(args.kcs)
        else:
            print(f"KCS data not found in {args.kcs}: part 2 skipped", file=sys.stderr)
    timings = dict(part["timings"])
    if kcs is not None:
        timings["KCS: read, map, validate, fit and score (two variants)"] = kcs["seconds"]
    total = time.perf_counter() - started
    timings["total"] = total
    text = "\n".join([
        world_text,
        timings_table(timings),
        "",
        *([] if kcs is None else [
            "### KCS declarations: the valuation screen alone",
            "",
            "Korea Customs Service synthetic declarations (CTGAN, MIT; one goods item each; see "
            "`/work/shared/data/kcs-customs-declarations/SOURCE.md`), converted with the shipped `kcs` mapping "
            "(quantity = net mass in kg, value in KRW, no goods description). Fitted on `df_syn_train_eng.csv` "
            "(2020), scored on `df_syn_valid_eng.csv` (2021-01..03); ranked by `valuation_score`, against the "
            "`Fraud` label joined by declaration ID. The test split is withheld and was not used.",
            "",
            kcs_tables(kcs),
            "",
        ]),
        f"Command: `{command(args)}`. Machine: {machine()}.",
    ])
    print(text)
    print()
    for name, value, threshold, ok in rows:
        print(f"{'PASS' if ok else 'FAIL'}: {name}: {value} (target {threshold})")

    if args.no_docs:
        return
    update_doc_section(DOC, "quality-drift" if args.drift else "quality", text)
    if args.drift:
        return
    combined = results["combined"]
    b = HEADLINE_BUDGET
    line = (f"Risk engine quality on a generated world ({args.declarations:,} declarations, seed {args.seed}; fitted "
            f"before {AS_OF:%Y-%m-%d}, judged on October-December against the ground truth), at a 5 % inspection "
            f"budget: combined score precision {pct(cell(combined, b, 'any', 'precision'))} % "
            f"({cell(combined, b, 'any', 'precision') / base:.1f} x the base rate {pct(base, 2)} %), "
            f"recall {pct(cell(combined, b, 'any', 'recall'))} %, "
            f"{pct(cell(combined, b, 'any', 'duty_share'))} % of the duty at stake; undervaluation recall of the "
            f"valuation screen {pct(cell(results['valuation'], b, 'undervaluation', 'recall'))} %, "
            f"misclassification recall of the classification screen "
            f"{pct(cell(results['classification'], b, 'misclassification', 'recall'))} %; profiles alone "
            f"(manual targeting) precision {pct(cell(results['profiles'], b, 'any', 'precision'))} %. "
            f"Targets: {', '.join('PASS' if ok else 'FAIL' for *_, ok in rows)}.")
    if kcs is not None:
        table = kcs["variants"]["with train outcomes"]["table"].set_index("budget")
        line += (f" KCS valid split, valuation screen alone: Precision@5% {table.loc[0.05, 'precision']:.3f} "
                 f"({table.loc[0.05, 'lift']:.2f} x random, base rate "
                 f"{kcs['variants']['with train outcomes']['base']:.3f}).")
    line += (f" Full tables: [risk engine, measured quality](risk-engine.md#10-measured-quality). Run time "
             f"{total:.0f} s. Command: `{command(args)}`. Machine: {machine()}.")
    update_section("risk-quality", "risk quality", line)


if __name__ == "__main__":
    main()
