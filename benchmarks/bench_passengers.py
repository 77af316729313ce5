"""Passenger matching and hall planning: FEBRL 4a/4b recall and precision (our matcher and the GTAS rule), the
transliteration set, a 300-passenger flight against a 100,000-entry watchlist, and the hall plan for 300 passengers.

    python benchmarks/bench_passengers.py [--runs 5] [--json]

Prints a table (or one JSON object) and rewrites its section of docs/benchmarks.md."""

import argparse
import json
import time

from report import machine, update_section
from smartcustoms.passengers import service


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the flight match (median reported)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    start = time.perf_counter()
    matching = service.benchmark(args.runs)
    matched = time.perf_counter() - start
    plan = service.plan_hall(300)
    planned = time.perf_counter() - start - matched
    result = {**{k: v for k, v in matching.items() if not isinstance(v, (dict, list))},
              "flight_cleared_minutes": plan["flight_cleared_minutes"],
              "share_out_within_5_min": plan["share_out_within_5_min"],
              "bags_screened_minutes": plan["bags_screened_minutes"], "staffing": plan["staffing"],
              "benchmark_seconds": round(matched, 1), "plan_seconds": round(planned, 1)}
    if args.json:
        print(json.dumps(result))
    rows = [
        ("FEBRL 4 recall / precision, our matcher (threshold 0.5)",
         f"{matching['febrl_recall']:.3f} / {matching['febrl_precision']:.3f}"),
        ("FEBRL 4 recall / precision, GTAS rule (JW >= 0.95 and equal birth date)",
         f"{matching['gtas_rule_recall']:.3f} / {matching['gtas_rule_precision']:.3f}"),
        ("transliteration set recall / precision (with birth dates)",
         f"{matching['transliteration_recall_with_dob']:.3f} / {matching['transliteration_precision_with_dob']:.3f}"),
        ("transliteration set recall / precision (names only)",
         f"{matching['transliteration_recall_names_only']:.3f} / "
         f"{matching['transliteration_precision_names_only']:.3f}"),
        ("300 passengers vs 100,000 entries, median seconds", f"{matching['flight_seconds']:.3f}"),
        ("hall, 300 passengers: flight cleared (min, 95% CI)",
         f"{plan['flight_cleared_minutes']['mean']:.1f} {plan['flight_cleared_minutes']['ci95']}"),
        ("hall: share out within 5 min", f"{plan['share_out_within_5_min']['mean']:.3f} "
                                          f"{plan['share_out_within_5_min']['ci95']}"),
        ("hall: bags screened (min)", f"{plan['bags_screened_minutes']['mean']:.1f} "
                                      f"{plan['bags_screened_minutes']['ci95']}"),
        ("hall: staffing found", f"{plan['staffing']['officers']} officers, {plan['staffing']['lanes']} lanes"),
    ]
    table = "| measure | value |\n| --- | --- |\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    body = (f"`python benchmarks/bench_passengers.py` on {machine()}; matching {matched:.0f} s, planning "
            f"{planned:.0f} s. Details in [passengers.md](passengers.md).\n\n{table}\n")
    update_section("passengers", "Passengers: matching and hall planning", body)
    if not args.json:
        print(table)


if __name__ == "__main__":
    main()
