"""Benchmark: `import` of N CSV rows (default 100,000) into SQLite and PostgreSQL.

Targets (issue 2): >= 20,000 rows/s into SQLite, >= 10,000 rows/s into PostgreSQL, on the 2-core machine.
Prints a table and updates the "import" section of docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_import.py [--rows 100000]
"""

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

from report import machine, update_section
from smartcustoms.declarations.service import import_file
from smartcustoms.store import migrate
from smartcustoms.store.db import make_engine
from smartcustoms.world import WorldConfig, generate, write_world

POSTGRES = os.environ.get("SMARTCUSTOMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def csv_with_rows(rows: int, folder: Path) -> Path:
    """A generated world cut to exactly `rows` goods-item rows (whole declarations only)."""
    world = generate(WorldConfig(declarations=rows, seed=1))
    write_world(world, folder)
    path = folder / "declarations.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: rows + 1]), encoding="utf-8")
    return path


def timed_import(url: str, path: Path, setup=None) -> tuple[float, object]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    started = time.perf_counter()
    result = import_file(engine, path)
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = csv_with_rows(args.rows, folder)
        runs = [("SQLite (file)", f"sqlite:///{folder / 'bench.db'}", 20_000)]
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(POSTGRES)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        runs.append(("PostgreSQL 127.0.0.1", POSTGRES + f"?options=-csearch_path%3D{schema}", 10_000))
        lines = ["| database | rows | declarations | seconds | rows/s | target rows/s | ratio to target |",
                 "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        try:
            for name, url, target in runs:
                seconds, result = timed_import(url, path)
                assert result.rejected == 0 and result.conflicts == 0, result.summary()
                rate = args.rows / seconds
                lines.append(f"| {name} | {args.rows:,} | {result.imported:,} | {seconds:.2f} | {rate:,.0f} | "
                             f"{target:,} | {rate / target:.2f} |")
                print(lines[-1], flush=True)
        finally:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    body = "\n".join([
        f"`import` of {args.rows:,} CSV rows of a generated world (own mapping; validation, dedup check, "
        "insert), fresh database each.",
        "",
        *lines,
        "",
        f"Command: `.venv/bin/python benchmarks/bench_import.py --rows {args.rows}`. Machine: {machine()}.",
    ])
    print("\n".join(lines))
    update_section("import", "import", body)


if __name__ == "__main__":
    main()
