"""Issue 14 (5): property-based tests of the readers. Valid declarations go through JSON, CSV and CUSDEC and come
out as the same declaration; near-valid ones are accepted or refused with a field, never a crash."""

import csv
import io
import json

import pandas as pd
from hypothesis import HealthCheck, given, settings
from strategies import declaration, near_valid

from smartcustoms.declarations.ingest.cusdec import write_cusdec
from smartcustoms.declarations.mapping import IntakeError
from smartcustoms.declarations.models import FIELDS, Declaration
from smartcustoms.declarations.service import read_declarations

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rows(record: dict) -> list[dict]:
    header = {k: v for k, v in record.items() if k != "items"}
    return [{**header, **item} for item in record["items"]]


def csv_of(records: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows(record))
    return buffer.getvalue().encode()


def digest(record: dict) -> str:
    return Declaration.model_validate(record).content_hash()


@FAST
@given(declaration())
def test_a_valid_declaration_reads_the_same_through_json_and_csv(record):
    expected = digest(record)
    for fmt, data in (("json", json.dumps([record]).encode()), ("csv", csv_of([record]))):
        result, _ = read_declarations(data, fmt)
        assert (result.declarations, result.rejected_declarations) == (1, 0), (fmt, result.rejects)
        assert result.valid["content_hash"].unique().tolist() == [expected], fmt


@FAST
@given(declaration())
def test_a_valid_declaration_reads_back_from_cusdec(record):
    text = write_cusdec(pd.DataFrame(rows(record)), control_reference="1")
    result, _ = read_declarations(text.encode("utf-8"), "cusdec")
    assert (result.declarations, result.rejected_declarations) == (1, 0), result.rejects
    assert result.valid["declaration_id"].unique().tolist() == [record["declaration_id"]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_valid())
def test_a_near_valid_declaration_is_accepted_or_refused_with_a_field_never_a_crash(record):
    for fmt, make in (("json", lambda: json.dumps([record], default=str).encode()), ("csv", lambda: csv_of([record]))):
        try:
            result, _ = read_declarations(make(), fmt)
        except IntakeError:
            continue  # the file as a whole refused, cleanly
        assert result.declarations + result.rejected_declarations >= 1
        if result.rejected_declarations:
            assert result.rejects["field"].notna().all() and len(result.rejects)
        else:
            stored = result.valid["acceptance_datetime"]
            assert stored.map(lambda v: 1990 <= v.year).all()  # never outside the window
