"""Benchmark: risk assessment in memory (screens + profiles + selectivity, no database writes).

Targets (issues 3 and 15): >= 50,000 declarations/s in batch on 1,000,000 generated declarations, and p99 <= 20 ms
for one declaration in-process, on the 2-core machine, with the targeting model and the learned combination (the
default engine, fitted as the product fits it: risk.service.fit_screens and learn_combination); --no-model measures
the four screens with fixed weights. Wall-clock and CPU time (of the process) beside each other: on the shared 2-core
machine the CPU time is the fairer figure. Also checks that the declarations assessed one by one score as in the
batch (one day's declarations: the batch takes the model's frame path, each declaration its lookup path). Prints a
table and updates docs/benchmarks.md; --json prints one JSON object instead of the table.

    .venv/bin/python benchmarks/bench_assess.py [--declarations 1000000] [--history 200000] [--json]
"""

import argparse
import json
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
    parser.add_argument("--json", action="store_true", help="print one JSON object (no table)")
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
    # what `smartcustoms assess` records: the same batch with each decision's explanation and top reason
    started = time.perf_counter()
    assess(live.declarations, engine, explained=True)
    explained_seconds = time.perf_counter() - started

    ids = live.declarations["declaration_id"].drop_duplicates().sample(args.single, random_state=1)
    groups = dict(list(live.declarations[live.declarations["declaration_id"].isin(ids)].groupby("declaration_id")))
    latencies = []
    for frame in list(groups.values())[:20]:  # warm-up
        assess(frame, engine)
    cpu_times, model_cpu = [], []
    model = engine.screens.get("model")
    for frame in groups.values():
        started, cpu = time.perf_counter(), time.process_time()
        assess(frame, engine)
        latencies.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
        if model is not None:  # the model screen alone, for the record
            cpu = time.process_time()
            model.score(frame)
            model_cpu.append((time.process_time() - cpu) * 1000)
    p50, p99 = np.percentile(latencies, [50, 99])
    cpu50, cpu99 = np.percentile(cpu_times, [50, 99])
    model50, model99 = np.percentile(model_cpu, [50, 99]) if model_cpu else (np.nan, np.nan)
    # the busiest day's declarations one by one against their batch (the model's frame path): the same scores
    day = live.declarations["acceptance_datetime"].dt.normalize()
    one_day = live.declarations[day == day.value_counts().idxmax()]
    batch = assess(one_day, engine).set_index("declaration_id")
    alone = pd.concat([assess(g, engine) for _, g in one_day.groupby("declaration_id", sort=False)]
                      ).set_index("declaration_id").loc[batch.index]
    difference = float(np.max(np.abs(alone["risk_score"].to_numpy(float) - batch["risk_score"].to_numpy(float))))
    load = os.getloadavg()[0]
    described = combination.describe() if combination is not None else {"method": "fixed"}
    if args.json:
        print(json.dumps({
            "history": args.history, "declarations": len(decided), "items": len(live.declarations),
            "model": not args.no_model, "combination": described.get("method"), "fit_seconds": round(fit_seconds, 1),
            "batch_seconds": round(batch_seconds, 2), "batch_cpu_seconds": round(batch_cpu, 2),
            "batch_per_second": round(rate), "batch_per_cpu_second": round(len(decided) / max(batch_cpu, 1e-9)),
            "batch_explained_seconds": round(explained_seconds, 2),
            "batch_explained_per_second": round(len(decided) / explained_seconds),
            "single_calls": args.single, "single_wall_ms": {"p50": round(p50, 2), "p99": round(p99, 2)},
            "single_cpu_ms": {"p50": round(cpu50, 2), "p99": round(cpu99, 2)},
            "model_screen_single_cpu_ms": {"p50": round(model50, 2), "p99": round(model99, 2)},
            "one_day_declarations": len(batch), "max_abs_difference_single_vs_batch": difference,
            "load_average": round(load, 1), "cores": os.cpu_count()}))
        return

    lines = [
        "| measure | value | target | ratio to target |",
        "| --- | ---: | ---: | ---: |",
        f"| fit the screens{'' if args.no_model else ', the model and the combination'} on {args.history:,} "
        f"historic declarations | {fit_seconds:.1f} s | | |",
        f"| batch: {len(decided):,} declarations ({len(live.declarations):,} items) | {batch_seconds:.1f} s | | |",
        f"| batch rate | {rate:,.0f} declarations/s | 50,000 /s | {rate / 50_000:.2f} |",
        f"| batch with the explanations `smartcustoms assess` records | {explained_seconds:.1f} s "
        f"({len(decided) / explained_seconds:,.0f} declarations/s) | | |",
        f"| one declaration, p50 ({args.single:,} calls) | {p50:.1f} ms | | |",
        f"| one declaration, p99 | {p99:.1f} ms | 20 ms | {20 / p99:.2f} (higher is better) |",
        f"| batch: CPU time of the process (all threads) | {batch_cpu:.1f} s "
        f"({len(decided) / max(batch_cpu, 1e-9):,.0f} declarations per CPU second) | | |",
        f"| one declaration: CPU time of the process, p50 / p99 | {cpu50:.1f} / {cpu99:.1f} ms | 20 ms (p99) | "
        f"{20 / cpu99:.2f} |",
        f"| one declaration, the model screen alone: CPU p50 / p99 | {model50:.1f} / {model99:.1f} ms | | |",
        f"| {len(batch):,} declarations of one day, one by one against their batch: largest risk score difference | "
        f"{difference:.1e} | 1e-9 | |",
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
        f"--history {args.history} --single {args.single}{' --no-model' if args.no_model else ''}`. Machine: "
        f"{machine()}; load average {load:.1f} at the end (the machine is shared: wall-clock figures stretch with "
        "the load, CPU time much less).",
    ])
    update_section("assess", "assess", body)


if __name__ == "__main__":
    main()
