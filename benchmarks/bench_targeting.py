"""Benchmark: the targeting model on generated declarations: features, training, scoring.

Targets (issue 4): train on 1,000,000 declarations in <= 5 minutes, score >= 100,000 declarations/s, on the
2-core machine. Prints a table and updates the "targeting" section of docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_targeting.py [--declarations 1000000]
"""

import argparse
import time

from report import machine, update_section
from smartcustoms.targeting.features import declaration_features
from smartcustoms.targeting.model import TargetingModel
from smartcustoms.world import WorldConfig, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=1_000_000)
    args = parser.parse_args()
    world = generate(WorldConfig(declarations=args.declarations, seed=21))

    started = time.perf_counter()
    features = declaration_features(world.declarations, world.inspections)
    feature_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model = TargetingModel(n_jobs=2).fit(features)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model.predict_proba(features)
    score_seconds = time.perf_counter() - started
    n = len(features)
    rate = n / score_seconds
    train_total = feature_seconds + fit_seconds
    lines = [
        "| step | declarations | seconds | target | ratio to target |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| features as of each date (all declarations) | {n:,} | {feature_seconds:.1f} | | |",
        f"| fit (fraud + revenue, calibrated; {int(features['label_fraud'].notna().sum()):,} labelled) | {n:,} "
        f"| {fit_seconds:.1f} | | |",
        f"| train = features + fit | {n:,} | {train_total:.1f} | 300 s | {300 / train_total:.2f} |",
        f"| score precomputed features | {n:,} | {score_seconds:.1f} ({rate:,.0f} /s) | 100,000 /s | "
        f"{rate / 100_000:.2f} |",
    ]
    print("\n".join(lines))
    update_section("targeting", "targeting model", "\n".join([
        "The targeting model on a generated world: out-of-time features of every declaration, the calibrated "
        "LightGBM fraud and revenue models trained on the controlled ones, and scoring from the features.",
        "",
        *lines,
        "",
        "Scoring new declarations through the risk engine's `model` screen also recomputes their features over "
        "the history (docs/targeting.md): that path is slower.",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_targeting.py --declarations {args.declarations}`. "
        f"Machine: {machine()}.",
    ]))


if __name__ == "__main__":
    main()
