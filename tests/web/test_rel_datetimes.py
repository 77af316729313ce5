"""Issue 14 (1): an acceptance_datetime outside the configured window is refused with its field on every path
(API, portal form, JSON/CSV/CUSDEC import) and never stored; the database holds one zero-padded layout and checks
it; a row stored unpadded by an older version is repaired by migration 0009, and the server starts on it."""

import json
from datetime import datetime

import pytest
from conftest import TestClient, as_user, csrf_of, declaration
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from smartcustoms.declarations.models import Declaration, acceptance_window
from smartcustoms.declarations.service import import_file
from smartcustoms.declarations.tables import declarations
from smartcustoms.store import migrate
from smartcustoms.store.db import insert_rows, make_engine, sqlite_time
from support import csv_bytes, item_row

BAD = ["0001-01-01T00:00:00", "0999-06-01T00:00:00", "9999-01-01T00:00:00", "0001-01-01T00:00:00+01:00",
       "1989-12-31T23:59:59"]


def stored(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(declarations)).scalar_one()


@pytest.mark.parametrize("moment", BAD)
def test_api_refuses_a_date_outside_the_window(client, people, engine, moment):
    answer = client.post("/api/v1/declarations", json=declaration("DX1", acceptance_datetime=moment),
                         headers=people["alice"].bearer)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "acceptance_datetime"]
    assert stored(engine) == 0


def test_api_accepts_now_and_refuses_beyond_the_clock_tolerance(client, people, engine):
    now = datetime.now().replace(microsecond=0)
    ok = client.post("/api/v1/declarations", json=declaration("DX1", acceptance_datetime=now.isoformat()),
                     headers=people["alice"].bearer)
    assert ok.status_code == 201, ok.text
    later = now.replace(year=now.year + 1).isoformat()
    assert client.post("/api/v1/declarations", json=declaration("DX2", acceptance_datetime=later),
                       headers=people["alice"].bearer).status_code == 422
    assert stored(engine) == 1


def test_portal_form_refuses_year_one(client, people, engine):
    page = as_user(client, people["alice"]).get("/portal/submit")
    body = declaration("DX1")
    form = {key: value for key, value in body.items() if key != "items"}
    form.update({f"items-0-{key}": value for key, value in body["items"][0].items()})
    form.update({"acceptance_datetime": "0001-01-01T00:00", "csrf_token": csrf_of(page.text)})
    answer = client.post("/portal/submit", data=form)
    assert answer.status_code == 422
    assert "acceptance_datetime" in answer.text or "1990-01-01" in answer.text
    assert stored(engine) == 0


def _cusdec(moment: str, tmp_path):
    from pathlib import Path
    sample = (Path(__file__).parents[1] / "declarations" / "data" / "cusdec_sample.edi").read_text()
    path = tmp_path / "bad.edi"
    path.write_text(sample.replace("DTM+148:202403050915:203'", f"DTM+148:{moment}:203'"))
    return path


@pytest.mark.parametrize("fmt", ["json", "csv", "cusdec"])
@pytest.mark.parametrize("moment", ["0999-06-01T00:00:00", "9999-01-01T00:00:00", "0001-01-01T00:00:00+01:00"])
def test_import_refuses_with_the_field(engine, tmp_path, fmt, moment):
    if fmt == "json":
        path = tmp_path / "bad.json"
        path.write_text(json.dumps([declaration("DX1", acceptance_datetime=moment)]))
    elif fmt == "csv":
        path = tmp_path / "bad.csv"
        path.write_bytes(csv_bytes([item_row("DX1", acceptance_datetime=moment)]))
    else:
        if "+" in moment:
            pytest.skip("CUSDEC dates carry no offset")
        path = _cusdec(datetime.fromisoformat(moment).strftime("%Y%m%d%H%M").zfill(12), tmp_path)
    result = import_file(engine, path, fmt)
    assert "acceptance_datetime" in result.rejects["field"].tolist()
    assert result.imported == 0 or fmt == "cusdec"  # the sample's other messages are fine
    with engine.connect() as conn:
        years = [row[0].year for row in conn.execute(select(declarations.c.acceptance_datetime))]
    assert all(1990 <= year <= datetime.now().year + 1 for year in years)


def test_window_from_the_validation_context():
    body = declaration("DX1", acceptance_datetime="1995-01-01T00:00:00")
    assert Declaration.model_validate(body).acceptance_datetime.year == 1995
    with pytest.raises(ValueError, match="acceptance_datetime"):
        Declaration.model_validate(body, context={"acceptance_window": acceptance_window(
            datetime(2000, 1, 1).date(), 0)})


def test_sqlite_time_pads_the_year():
    assert sqlite_time(datetime(1, 1, 1)) == "0001-01-01 00:00:00.000000"
    assert sqlite_time(datetime(999, 6, 1, 3, 4, 5, 6)) == "0999-06-01 03:04:05.000006"


def _row(moment, batch_id=None) -> dict:
    return {"batch_id": batch_id, "declaration_id": "DB1", "declaration_type": "IM", "office_id": "FRPAR1", "acceptance_datetime": moment,
            "declarant_id": "B", "importer_id": "I", "transport_mode": "1", "invoice_currency": "USD",
            "exchange_rate": 1.0, "dispatch_country": "CN", "content_hash": "x"}


@pytest.mark.parametrize("moment", [datetime(1, 1, 1), datetime(9999, 1, 1)])
def test_database_checks_the_range(engine, moment):
    from smartcustoms.declarations.repository import start_batch

    batch = start_batch(engine, "test", "json", None)
    with pytest.raises(DBAPIError, match="ck_declarations_acceptance_datetime"):
        with engine.begin() as conn:
            conn.execute(insert(declarations).values(**_row(moment, batch)))
    with pytest.raises(Exception, match="ck_declarations_acceptance_datetime"):  # COPY: psycopg's own error
        with engine.begin() as conn:
            row = _row(moment, batch)
            insert_rows(conn, declarations, list(row), [tuple(row.values())])
    assert stored(engine) == 0


def test_sqlite_checks_the_layout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    migrate.upgrade(engine)
    columns = ", ".join(_row(None))
    for bad in ("999-06-01 00:00:00.000000", "2025-3-4 09:30:00", "yesterday"):
        with pytest.raises(DBAPIError, match="ck_declarations_acceptance_datetime"):
            with engine.begin() as conn:
                conn.execute(text(f"INSERT INTO declarations ({columns}) VALUES "
                                  f"({', '.join(':' + c for c in _row(None))})"), _row(bad))
    assert stored(engine) == 0


def test_migration_pads_rows_stored_unpadded_and_the_server_starts(tmp_path):
    """What the old code stored for year 999 ('999-06-01 ...') made every list answer 500."""
    from conftest import FAST

    from smartcustoms.web.app import create_app
    from smartcustoms.web.config import WebSettings

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(engine, "0008")
    from smartcustoms.declarations.repository import start_batch

    batch = start_batch(engine, "old", "json", None)
    columns = ", ".join(_row(None))
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO declarations ({columns}) VALUES ({', '.join(':' + c for c in _row(None))})"),
                     _row("999-06-01 00:00:00.000000", batch))
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT acceptance_datetime FROM declarations")).scalar() == \
            "0999-06-01 00:00:00.000000"
        assert conn.execute(select(declarations.c.acceptance_datetime)).scalar() == datetime(999, 6, 1)
    from smartcustoms.accounts import service as accounts

    app = create_app(WebSettings(**FAST), engine)  # fits its engine on this history at startup
    accounts.create_user(engine, "root", "correct horse battery", "admin", hasher=app.state.hasher)
    _, token = accounts.create_token(engine, "root", "tests")
    with TestClient(app) as client:
        listed = client.get("/api/v1/declarations", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200, listed.text
        assert [item["declaration_id"] for item in listed.json()["items"]] == ["DB1"]


def test_bulk_insert_writes_every_datetime_in_one_layout(tmp_path):
    """A frame's datetimes reach SQLite as `sqlite_time` text, whether the column is a datetime column or holds
    Python datetimes among other objects (bulk_insert converts once; insert_rows converts rows at hand)."""
    import pandas as pd

    from smartcustoms.declarations.repository import start_batch
    from smartcustoms.store.db import bulk_insert

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    migrate.upgrade(engine)
    batch = start_batch(engine, "test", "json", None)
    typed = pd.DataFrame([_row(datetime(2025, 3, 4, 9, 30), batch) | {"declaration_id": "TYPED"}])
    mixed = pd.DataFrame([_row(datetime(2025, 3, 4, 9, 30, 0, 7), batch) | {"declaration_id": "MIXED"},
                          _row("2025-03-05 10:00:00.000000", batch) | {"declaration_id": "TEXT"}])
    assert mixed["acceptance_datetime"].dtype == object
    with engine.begin() as conn:
        bulk_insert(conn, declarations, typed)
        bulk_insert(conn, declarations, mixed)
        row = _row(datetime(2025, 3, 6, 1, 2, 3), batch) | {"declaration_id": "ROWS"}
        insert_rows(conn, declarations, list(row), [tuple(row.values())])
    with engine.connect() as conn:
        found = dict(conn.execute(text("SELECT declaration_id, acceptance_datetime FROM declarations")).all())
    assert found == {"TYPED": "2025-03-04 09:30:00.000000", "MIXED": "2025-03-04 09:30:00.000007",
                     "TEXT": "2025-03-05 10:00:00.000000", "ROWS": "2025-03-06 01:02:03.000000"}
