"""Benchmark: `generate` + `write_world` of N declarations (default 1,000,000).

Target (synthetic-world issue): 1,000,000 declarations generated and written (CSV + Parquet) in <= 60 s on the
2-core machine. Prints a table and updates the "generate" section of docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_generate.py [--declarations 1000000] [--seed 42] [--no-docs]
"""

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from report import machine, update_section
from smartcustoms.world import WorldConfig, generate, write_world

TARGET_SECONDS = 60.0
TARGET_DECLARATIONS = 1_000_000


def nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", "-n", type=int, default=TARGET_DECLARATIONS)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-docs", action="store_true", help="print only, leave docs/benchmarks.md alone")
    args = parser.parse_args()
    n = args.declarations
    target = TARGET_SECONDS * n / TARGET_DECLARATIONS  # the same throughput, scaled to N

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        world = generate(WorldConfig(declarations=n, seed=args.seed))
        generated = time.perf_counter()
        paths = write_world(world, Path(tmp))
        written = time.perf_counter()
        size = sum(path.stat().st_size for path in paths.values())

    fraud = (world.truth["fraud_type"] != "none").mean()
    controlled = len(world.inspections) / n
    rows = [
        ("generate", generated - started),
        ("write CSV + Parquet", written - generated),
        ("generate + write", written - started),
    ]
    lines = [
        "| step | declarations | goods items | seconds | declarations/s | target s | ratio to target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for step, seconds in rows:
        limit = f"{target:,.0f}" if step == "generate + write" else ""
        ratio = f"{seconds / target:.2f}" if step == "generate + write" else ""
        lines.append(f"| {step} | {n:,} | {len(world.declarations):,} | {seconds:.1f} | {n / seconds:,.0f} | "
                     f"{limit} | {ratio} |")
    total = written - started
    verdict = "meets" if total <= target else "MISSES"
    command = f".venv/bin/python benchmarks/bench_generate.py --declarations {n} --seed {args.seed}"
    body = "\n".join(
        [
            f"`{command}`",
            "",
            f"Machine: {machine()}; `nproc` = {nproc()}.",
            "",
            *lines,
            "",
            (f"Result: {total:.1f} s for {n:,} declarations, {verdict} the target of {target:,.0f} s "
             f"({TARGET_SECONDS:.0f} s per 1,000,000). Files written: {size / 1e6:,.0f} MB. "
             f"The world: {fraud:.2%} of declarations fraudulent, {controlled:.2%} controlled "
             f"({len(world.inspections):,} historic controls)."),
        ]
    )
    print(body)
    if not args.no_docs:
        update_section("generate", "generate", body)
        print("\nupdated docs/benchmarks.md (section generate)")


if __name__ == "__main__":
    main()
