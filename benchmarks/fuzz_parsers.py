"""Fuzz run of the declaration readers (issue 14): Hypothesis generates inputs for each parser (CSV, JSON,
CUSDEC) and every input goes through `declarations.intake.read_declarations`, as `smartcustoms import` and the
web's file upload read files. An input may be accepted, or refused whole (IntakeError) or record by record (the
rejects); anything else raised is a crash. Inputs: valid and near-valid declarations (tests/declarations/
strategies.py) written in the format, then mutated (bytes flipped, inserted, deleted; cut short; random bytes).
Prints the examples run and the crashes per parser; --json prints one JSON object.

    .venv/bin/python benchmarks/fuzz_parsers.py [--examples 2000] [--seed 14] [--json] [--no-doc]
"""

import argparse
import csv
import io
import json
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "declarations"))


def encoders():
    import pandas as pd

    from smartcustoms.declarations.ingest.cusdec import write_cusdec
    from smartcustoms.declarations.models import FIELDS

    def rows(record):
        header = {k: v for k, v in record.items() if k != "items"}
        items = record.get("items") if isinstance(record.get("items"), list) else [{}]
        return [{**header, **(item if isinstance(item, dict) else {})} for item in items]

    def as_csv(records):
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows(record))
        return buffer.getvalue().encode("utf-8", "surrogatepass")

    def as_json(records):
        return json.dumps(records, default=str).encode("utf-8", "surrogatepass")

    def as_cusdec(records):
        frame = pd.DataFrame([row for record in records for row in rows(record)])
        frame["declaration_id"] = frame["declaration_id"].map(lambda v: str(v) if v not in (None, "") else "X")
        return write_cusdec(frame, control_reference="1").encode("utf-8", "surrogatepass")

    return {"csv": as_csv, "json": as_json, "cusdec": as_cusdec}


def run(fmt: str, examples: int, seed: int) -> dict:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as fix_seed
    from hypothesis import strategies as st
    from strategies import declaration, near_valid

    from smartcustoms.declarations.mapping import IntakeError
    from smartcustoms.declarations.service import read_declarations

    encode = encoders()[fmt]
    counts = {"examples": 0, "accepted": 0, "refused_whole": 0, "refused_records": 0, "crashes": 0}
    crashes: list[str] = []
    records = st.lists(declaration() | near_valid(), min_size=1, max_size=3)

    @st.composite
    def inputs(draw) -> bytes:
        kind = draw(st.sampled_from(["as is", "flip", "insert", "delete", "cut", "random"]))
        if kind == "random":
            return draw(st.binary(max_size=400))
        try:
            data = bytearray(encode(draw(records)))
        except (ValueError, TypeError, UnicodeEncodeError):
            data = bytearray(draw(st.binary(max_size=400)))  # the writer refused the record: random bytes
        if kind == "as is" or not data:
            return bytes(data)
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, max(0, len(data) - 1)))
            if kind == "flip" and data:
                data[at] = draw(st.integers(0, 255))
            elif kind == "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(
                    [b"'", b"+", b":", b"?", b",", b'"', b"\n", b"\r", b"\x00", b"{", b"[", b"]", b"UNT+", b"9" * 30]))
            elif kind == "delete" and data:
                del data[at:at + draw(st.integers(1, 16))]
            elif kind == "cut":
                del data[at:]
                break
        return bytes(data)

    @fix_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(inputs())
    def one(data: bytes) -> None:
        counts["examples"] += 1
        try:
            result, _ = read_declarations(data, fmt)
        except IntakeError:
            counts["refused_whole"] += 1
            return
        except Exception:  # noqa: BLE001 - a crash: counted and kept, the run goes on
            counts["crashes"] += 1
            if len(crashes) < 5:
                crashes.append(f"{data[:200]!r}\n{traceback.format_exc(limit=-3)}")
            return
        counts["accepted" if not result.rejected_declarations else "refused_records"] += 1

    started = time.perf_counter()
    one()
    return {**counts, "seconds": round(time.perf_counter() - started, 1), "first_crashes": crashes}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--examples", type=int, default=2000, help="inputs per parser")
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--formats", nargs="+", default=["csv", "json", "cusdec"])
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-doc", action="store_true", help="leave docs/benchmarks.md alone")
    args = p.parse_args()
    results = {fmt: run(fmt, args.examples, args.seed) for fmt in args.formats}
    if args.json:
        print(json.dumps(results))
    else:
        print(f"{'parser':8} {'examples':>9} {'accepted':>9} {'refused whole':>14} {'refused records':>16} "
              f"{'crashes':>8} {'seconds':>8}")
        for fmt, r in results.items():
            print(f"{fmt:8} {r['examples']:9d} {r['accepted']:9d} {r['refused_whole']:14d} {r['refused_records']:16d} "
                  f"{r['crashes']:8d} {r['seconds']:8.1f}")
            for crash in r["first_crashes"]:
                print(crash)
    if not args.no_doc:
        from report import machine, update_section

        lines = ["| parser | examples | accepted | refused whole | refused records | crashes | seconds |",
                 "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        lines += [f"| {fmt} | {r['examples']} | {r['accepted']} | {r['refused_whole']} | {r['refused_records']} | "
                  f"{r['crashes']} | {r['seconds']} |" for fmt, r in results.items()]
        update_section("fuzz", "fuzz: the declaration readers under Hypothesis", "\n".join([
            f"`.venv/bin/python benchmarks/fuzz_parsers.py --examples {args.examples} --seed {args.seed}` "
            f"({machine()}):", "", *lines]))


if __name__ == "__main__":
    main()
