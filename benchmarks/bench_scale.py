"""Benchmark: the Dask engine against the local one (`smartcustoms benchmark scale`), at several history sizes.

Runs `smartcustoms benchmark scale --declarations N --json` for each N (or reads the JSON objects such runs printed,
`--from-json FILE ...`), prints a table and updates the *scale* section of docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_scale.py --declarations 100000 1000000
    .venv/bin/python benchmarks/bench_scale.py --from-json run-100k.json run-1m.json
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from report import machine, update_section

ROOT = Path(__file__).resolve().parents[1]


def _run(n: int) -> dict:
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "smartcustoms"), "benchmark", "scale", "--declarations",
                          str(n), "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def table(results: list[dict]) -> list[str]:
    lines = [
        "| history (declarations) | assessed (December) | identical (combination) | local: decl. per CPU-s "
        "| Dask 2 workers: decl. per CPU-s | Dask 1 worker: decl. per CPU-s | CPU 2 workers / 1 "
        "| wall: local / Dask 1 / Dask 2 (s) "
        "| scaling 1 -> 2 (wall) | peak memory: local / per Dask worker (1, 2 workers) | engine pickled |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: |",
    ]
    for r in results:
        s, m = r["seconds"], r["peak_memory_mb"]
        engine_mb = r["conditions"].split("the fitted engine is ")[1].split(" MB")[0]
        lines.append(
            f"| {r['history_declarations']:,} | {r['assessed_declarations']:,} | {'yes' if r['identical'] else 'no'}"
            f" ({r.get('combination', 'fixed')})"
            f" | {r['per_core_local']:,.0f} | {r['per_core_dask']:,.0f} | {r['per_core_dask_1']:,.0f}"
            f" | {r['wall']['cpu_seconds_2_over_1']:.2f} | {s['local']:.1f} / {s['dask_1']:.1f} / {s['dask_2']:.1f}"
            f" | {r['scaling_1_to_2']:.2f} | {m['local']:,.0f} / {m['dask_1_per_worker']:,.0f}, "
            f"{m['dask_2_per_worker']:,.0f} MB | {engine_mb} MB |")
    return lines


def body(results: list[dict], command: str) -> str:
    largest = max(results, key=lambda r: r["declarations"])
    projection = largest["projection"]
    return "\n".join([
        "`smartcustoms benchmark scale`: a generated year; the four screens (without the targeting model), the "
        "example profiles and the product's default selectivity (the combined score learned from the outcomes: "
        "its method in the table) fitted on January-November, December assessed with the local engine (its own "
        "process, one BLAS thread) and on "
        "a LocalCluster of 1 and 2 worker processes (one thread each); *identical*: every lane, source, random "
        "flag, score, duty at risk and reason equal, bit for bit. Per core = declarations per CPU-second of all "
        "the run's processes (workers, and the client, in whose process the LocalCluster's scheduler runs): on a "
        "machine shared with other work, wall time "
        "measures the queue for the cores more than the code (the load average is in the conditions).",
        "",
        *table(results),
        "",
        "Conditions: " + "; ".join(f"{r['declarations']:,}: {r['conditions']}" for r in results) + ".",
        "",
        f"**Projection** (not a measurement; from the {largest['declarations']:,}-declaration run): "
        f"{projection['16_cores_declarations_per_s']:,.0f} declarations/s on 16 cores "
        f"({projection['16_cores_hours_for_10M']:.2f} h for 10,000,000), "
        f"{projection['64_cores_declarations_per_s']:,.0f}/s on 64 cores "
        f"({projection['64_cores_hours_for_10M']:.2f} h). Basis: {projection['basis']}. Shuffle volume: about "
        f"{projection['shuffle_mb_per_1000_declarations']} MB per 1,000 declarations. The splitting overhead it "
        "rests on (CPU 2 workers / 1) was measured on 2 cores shared with other work at the load averages above: "
        "where it exceeds 2 the projection falls with more cores, i.e. it says that the fixed cost per bucket "
        "(see docs/scale.md) must come down before a cluster pays, not what a cluster would do.",
        "",
        f"Command: `{command}`. Machine: {machine()}.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--from-json", type=Path, nargs="*", help="JSON objects printed by benchmark scale --json")
    args = parser.parse_args()
    if args.from_json:
        results = [json.loads(path.read_text()) for path in args.from_json]
    else:
        results = [_run(n) for n in args.declarations]
    results.sort(key=lambda r: r["declarations"])
    command = " ; ".join(f"smartcustoms benchmark scale --declarations {r['declarations']} --json"
                         for r in results)
    text = body(results, command)
    print(text)
    update_section("scale", "scale: the Dask engine against the local one", text)
    sys.exit(0 if all(r["identical"] for r in results) else 1)


if __name__ == "__main__":
    main()
