"""Benchmark: one lodging batch (store, assess, record: `submissions.lodge`) with pandas' Arrow strings, as the
server's process has them, against NumPy object strings, as the lodging process has them
(src/smartcustoms/web/lodging_process.py), on batches of 1 and 10 declarations. The two kinds of batch
alternate, each on declarations never lodged before, on a SQLite file holding the history of bench_web.py.
Prints a table and updates docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_lodging.py [--batches 40] [--sizes 1 10] [--no-doc]
"""

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def strings(arrow: bool) -> None:
    import pandas as pd

    with warnings.catch_warnings():  # an option that pandas 4 will drop
        warnings.simplefilter("ignore")
        pd.set_option("future.infer_string", arrow)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batches", type=int, default=40, help="measured batches of each kind and size")
    p.add_argument("--sizes", type=int, nargs="+", default=[1, 10], help="declarations per batch")
    p.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = p.parse_args()

    from bench_web import prepare

    from report import machine, update_section
    from smartcustoms.accounts import service as accounts
    from smartcustoms.declarations.models import Declaration
    from smartcustoms.risk.config import load_config
    from smartcustoms.risk.service import build_engine
    from smartcustoms.store.db import make_engine, utc_now
    from smartcustoms.web.submissions import from_declaration, lodge

    warm = 3
    needed = 2 * sum(args.sizes) * (args.batches + warm)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_lodging_") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        _, bodies = prepare(url, 5000, needed + 200, 5, Path(tmp))
        db = make_engine(url)
        risk = build_engine(db, as_of=utc_now(), config=load_config(None))
        user = accounts.get_user(db, "bench")
        lines = iter(bodies.read_text(encoding="utf-8").splitlines())
        for size in args.sizes:
            took = {True: [], False: []}
            for number in range(warm + args.batches):
                for arrow in (True, False):
                    strings(arrow)
                    batch = [from_declaration(Declaration.model_validate_json(next(lines)), user, "api")
                             for _ in range(size)]
                    started = time.perf_counter()
                    lodge(db, risk, batch)
                    if number >= warm:
                        took[arrow].append(time.perf_counter() - started)
            strings(True)
            arrow, plain = (statistics.median(took[kind]) * 1000 for kind in (True, False))
            rows.append(f"| {size} | {arrow:.1f} ms | {plain:.1f} ms | {arrow / plain:.2f} |")
            print(rows[-1], flush=True)
        db.dispose()
    table = ["| declarations per batch | Arrow strings (median) | object strings (median) | ratio |",
             "| ---: | ---: | ---: | ---: |", *rows]
    print("\n".join(table))
    if args.no_doc:
        return
    update_section("lodging", "lodging: one batch with Arrow or object strings", "\n".join([
        "`submissions.lodge` (store, assess, record) on a SQLite file holding 5,000 generated declarations with "
        "their controls and the example profiles, the risk engine fitted on them; batches with pandas' Arrow "
        "strings (the default, the server's process) alternate with batches with NumPy object strings (the "
        f"lodging process), {args.batches} of each per size, each on declarations never lodged before.",
        "", *table, "",
        f"Command: `.venv/bin/python benchmarks/bench_lodging.py --batches {args.batches} --sizes "
        f"{' '.join(map(str, args.sizes))}`. Machine: {machine()}.",
    ]))


if __name__ == "__main__":
    main()
