"""Non-intrusive inspection benchmark (synthetic): the shipped model on generated held-out scans.

Held out: object templates (one packing per HS heading), textures and scanner settings (kVp, filtration, noise,
blur, bit depth) never used in training. Reports image-level detection at 1% and 5% false alarms, mAP@0.5 (all,
easy, hard, hidden), the manifest check's AUROC, seconds per scan on this machine, the drop on unseen scanner
settings, and the superpixel baseline; updates the ``nii`` section of docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_nii.py [--images 300] [--baseline 120] [--json] [--no-docs]
    .venv/bin/python benchmarks/bench_nii.py --from-json result.json  # docs from `smartcustoms nii benchmark --json`
"""

import argparse
import json

from report import machine, update_section
from smartcustoms.nii import benchmark, pipeline

KEYS = ("detection_rate_at_1pct_fa", "detection_rate_at_5pct_fa", "image_auroc", "map50", "map50_easy",
        "map50_hard", "map50_hidden", "manifest_auroc", "manifest_detection_at_1pct_fa",
        "manifest_detection_at_5pct_fa", "seconds_per_scan", "seconds_per_scan_p95", "cpu_seconds_per_scan")
TARGETS = {"detection_rate_at_1pct_fa": 0.90, "map50": 0.70, "map50_hidden": 0.50, "manifest_auroc": 0.90}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--baseline", type=int, default=120)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--from-json", help="Write the docs from this result of `smartcustoms nii benchmark --json`.")
    args = parser.parse_args()
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as handle:
            result = json.load(handle)
        args.images, args.baseline = result["images"], result.get("baseline", {}).get("trained_on", 0)
    else:
        result = benchmark.run(pipeline.Analyzer.load(), seed=args.seed, n_images=args.images,
                               baseline_train=args.baseline)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        for key in KEYS:
            print(f"{key:34} {result[key]}")
    lines = ["| figure (synthetic) | shipped model | target | drop on unseen settings |",
             "| --- | ---: | ---: | ---: |"]
    drop = result["drop_on_unseen_settings"]
    for key in KEYS:
        target = TARGETS.get(key, "")
        if key == "seconds_per_scan":
            target = "<= 1"
        lines.append(f"| {key} | {result[key]} | {target} | {drop.get(key, '')} |")
    base = result.get("baseline", {})
    body = (f"`.venv/bin/python benchmarks/bench_nii.py --images {args.images} --baseline {args.baseline}` "
            f"(same as `smartcustoms nii benchmark --images {args.images} --baseline {args.baseline} --json`), "
            f"{machine()}. Model {result['model']}; {result['images']} held-out scans per set "
            f"({result['threat_images']} with concealments), {result['benchmark_seconds']} s in all "
            f"({result['benchmark_cpu_seconds']} s of CPU). "
            "All figures are on synthetic scans (see docs/nii.md for what they mean and the published real-data "
            "results beside them).\n\n" + "\n".join(lines)
            + (f"\n\nSuperpixel baseline ({base.get('name')}, trained on {base.get('trained_on')} scans): "
               f"detection at 1% FA {base.get('detection_rate_at_1pct_fa')}, mAP@0.5 {base.get('map50')}, hidden "
               f"{base.get('map50_hidden')}, {base.get('seconds_per_scan')} s per scan." if base else ""))
    if not args.no_docs:
        update_section("nii", "Non-intrusive inspection (synthetic scans)", body)


if __name__ == "__main__":
    main()
