"""Benchmark: risk assessment in memory (screens + profiles + selectivity, no database writes).

Targets (issue 3): >= 50,000 declarations/s in batch on 1,000,000 generated declarations, and p99 <= 20 ms for
one declaration in-process, on the 2-core machine. Prints a table and updates docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_assess.py [--declarations 1000000] [--history 200000]
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from report import machine, update_section
from smartcustoms.risk.assess import RiskEngine, assess
from smartcustoms.risk.config import load_config
from smartcustoms.risk.profiles import load_profile_dir
from smartcustoms.risk.service import fit_screens
from smartcustoms.world import WorldConfig, generate

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=200_000)
    parser.add_argument("--single", type=int, default=1000, help="single-declaration calls to time")
    args = parser.parse_args()

    history = generate(WorldConfig(declarations=args.history, seed=11, start="2024-01-01", days=365))
    live = generate(WorldConfig(declarations=args.declarations, seed=12, start="2025-01-01", days=365))
    # the risk engine of issue 3: the four screens, without the targeting model (measured in docs/targeting.md)
    config = load_config(ROOT / "config" / "risk.yaml").model_copy(update={"model": False})
    started = time.perf_counter()
    screens = fit_screens(history.declarations, history.inspections, pd.Timestamp("2025-01-01"), config)
    fit_seconds = time.perf_counter() - started
    engine = RiskEngine(screens=screens, profiles=load_profile_dir(ROOT / "profiles"), settings=config.selectivity)

    started = time.perf_counter()
    decided = assess(live.declarations, engine)
    batch_seconds = time.perf_counter() - started
    rate = len(decided) / batch_seconds

    ids = live.declarations["declaration_id"].drop_duplicates().sample(args.single, random_state=1)
    groups = dict(list(live.declarations[live.declarations["declaration_id"].isin(ids)].groupby("declaration_id")))
    latencies = []
    for frame in groups.values():
        started = time.perf_counter()
        assess(frame, engine)
        latencies.append((time.perf_counter() - started) * 1000)
    p50, p99 = np.percentile(latencies, [50, 99])

    lines = [
        "| measure | value | target | ratio to target |",
        "| --- | ---: | ---: | ---: |",
        f"| fit the four screens on {args.history:,} historic declarations | {fit_seconds:.1f} s | | |",
        f"| batch: {len(decided):,} declarations ({len(live.declarations):,} items) | {batch_seconds:.1f} s | | |",
        f"| batch rate | {rate:,.0f} declarations/s | 50,000 /s | {rate / 50_000:.2f} |",
        f"| one declaration, p50 ({args.single:,} calls) | {p50:.1f} ms | | |",
        f"| one declaration, p99 | {p99:.1f} ms | 20 ms | {20 / p99:.2f} (higher is better) |",
    ]
    print("\n".join(lines))
    lanes = decided["lane"].value_counts(normalize=True).reindex(["red", "yellow", "blue", "green"]).fillna(0)
    body = "\n".join([
        "Risk assessment in memory: the four screens, the published example profiles (`profiles/`) and selectivity "
        "with `config/risk.yaml`; no database writes. Screens fitted on a separate generated year.",
        "",
        *lines,
        "",
        "Lane shares in the batch: " + ", ".join(f"{lane} {share:.1%}" for lane, share in lanes.items()) + ".",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_assess.py --declarations {args.declarations} "
        f"--history {args.history}`. Machine: {machine()}.",
    ])
    update_section("assess", "assess", body)


if __name__ == "__main__":
    main()
