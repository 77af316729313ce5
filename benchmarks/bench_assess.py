"""Benchmark: risk assessment in memory (screens + profiles + selectivity, no database writes).

Targets (issues 3 and 15): >= 50,000 declarations/s in batch on 1,000,000 generated declarations, and p99 <= 20 ms
for one declaration in-process, on the 2-core machine, with the targeting model and the learned combination (the
default engine); --no-model measures the four screens with fixed weights. Prints a table and updates docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_assess.py [--declarations 1000000] [--history 200000]
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from report import machine, update_section
from smartcustoms.risk.assess import RiskEngine, assess
from smartcustoms.risk.config import load_config
from smartcustoms.risk.profiles import load_profile_dir
from smartcustoms.risk.service import fit_screens, learn_combination
from smartcustoms.world import WorldConfig, generate

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=200_000)
    parser.add_argument("--single", type=int, default=1000, help="single-declaration calls to time")
    parser.add_argument("--no-model", action="store_true", help="without the targeting model (fixed weights)")
    args = parser.parse_args()

    history = generate(WorldConfig(declarations=args.history, seed=11, start="2024-01-01", days=365))
    live = generate(WorldConfig(declarations=args.declarations, seed=12, start="2025-01-01", days=365))
    # the whole engine as it runs by default: the four screens, the targeting model, the profiles, the combined
    # score learned from outcomes and selectivity (--no-model: the four screens and fixed weights, as in issue 3)
    config = load_config(ROOT / "config" / "risk.yaml").model_copy(update={"model": not args.no_model})
    if args.no_model:
        config = config.model_copy(update={"selectivity": config.selectivity.model_copy(
            update={"combination": "fixed"})})
    profiles = load_profile_dir(ROOT / "profiles")
    as_of = pd.Timestamp("2025-01-01")
    started = time.perf_counter()
    screens = fit_screens(history.declarations, history.inspections, as_of, config)
    combination = None if args.no_model else learn_combination(history.declarations, history.inspections, as_of,
                                                               config, profiles, [])
    fit_seconds = time.perf_counter() - started
    engine = RiskEngine(screens=screens, profiles=profiles, settings=config.selectivity, combination=combination)

    started, cpu = time.perf_counter(), time.process_time()
    decided = assess(live.declarations, engine)
    batch_seconds, batch_cpu = time.perf_counter() - started, time.process_time() - cpu
    rate = len(decided) / batch_seconds

    ids = live.declarations["declaration_id"].drop_duplicates().sample(args.single, random_state=1)
    groups = dict(list(live.declarations[live.declarations["declaration_id"].isin(ids)].groupby("declaration_id")))
    latencies = []
    for frame in list(groups.values())[:20]:  # warm-up
        assess(frame, engine)
    cpu_times = []
    for frame in groups.values():
        started, cpu = time.perf_counter(), time.process_time()
        assess(frame, engine)
        latencies.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
    p50, p99 = np.percentile(latencies, [50, 99])
    cpu50, cpu99 = np.percentile(cpu_times, [50, 99])
    load = os.getloadavg()[0]
    described = combination.describe() if combination is not None else {"method": "fixed"}

    lines = [
        "| measure | value | target | ratio to target |",
        "| --- | ---: | ---: | ---: |",
        f"| fit the screens{'' if args.no_model else ', the model and the combination'} on {args.history:,} "
        f"historic declarations | {fit_seconds:.1f} s | | |",
        f"| batch: {len(decided):,} declarations ({len(live.declarations):,} items) | {batch_seconds:.1f} s | | |",
        f"| batch rate | {rate:,.0f} declarations/s | 50,000 /s | {rate / 50_000:.2f} |",
        f"| one declaration, p50 ({args.single:,} calls) | {p50:.1f} ms | | |",
        f"| one declaration, p99 | {p99:.1f} ms | 20 ms | {20 / p99:.2f} (higher is better) |",
        f"| batch: CPU time of the process (all threads) | {batch_cpu:.1f} s "
        f"({len(decided) / max(batch_cpu, 1e-9):,.0f} declarations per CPU second) | | |",
        f"| one declaration: CPU time of the process, p50 / p99 | {cpu50:.1f} / {cpu99:.1f} ms | | |",
        f"| load average (1 min) at the end, on {os.cpu_count()} cores | {load:.1f} | | |",
    ]
    print("\n".join(lines))
    lanes = decided["lane"].value_counts(normalize=True).reindex(["red", "yellow", "blue", "green"]).fillna(0)
    body = "\n".join([
        "Risk assessment in memory: "
        + ("the four screens and fixed weights" if args.no_model else
           "the four screens, the targeting model and the combined score learned from outcomes "
           f"(method: {described['method']}, weights {described.get('weights', {})})")
        + ", the published example profiles (`profiles/`) and selectivity with `config/risk.yaml`; no database "
        "writes. Fitted on a separate generated year.",
        "",
        *lines,
        "",
        "Lane shares in the batch: " + ", ".join(f"{lane} {share:.1%}" for lane, share in lanes.items()) + ".",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_assess.py --declarations {args.declarations} "
        f"--history {args.history}{' --no-model' if args.no_model else ''}`. Machine: {machine()}.",
    ])
    update_section("assess", "assess", body)


if __name__ == "__main__":
    main()
