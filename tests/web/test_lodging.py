"""The lodging step (submissions.lodge): one transaction per batch (all or nothing), a retry when another writer
stored an ID meanwhile, conflicts found at write time; the repository and the audit trail inside a caller's
transaction; the garbage-collector setting of a running server; the batcher closed from another event loop."""

import asyncio
import gc
import threading

import pandas as pd
import pytest
from conftest import declaration
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from smartcustoms.accounts import service as accounts
from smartcustoms.accounts.service import submissions as submissions_table
from smartcustoms.control import service as control_service
from smartcustoms.control.repository import lodging as lodging_sql
from smartcustoms.declarations import repository
from smartcustoms.declarations.models import Declaration
from smartcustoms.declarations.tables import declarations, goods_items, import_batches
from smartcustoms.declarations.validate import REJECT_COLUMNS, VALID_COLUMNS, flatten
from smartcustoms.frames import first_rows, records
from smartcustoms.risk import assess as assess_module
from smartcustoms.risk.repository import assessments, decisions, record_assessment
from smartcustoms.web import submissions
from smartcustoms.web.errors import Conflict
from smartcustoms.web.runtime.batcher import MicroBatcher, quiet_collector

TABLES = (declarations, goods_items, import_batches, submissions_table, assessments, decisions)


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}


@pytest.fixture
def lodger(engine, app):
    """A trader allowed to lodge for IMP001, and a function building one submission of hers."""
    user = accounts.create_user(engine, "tina", "correct horse battery", "trader", importers=["IMP001"],
                                hasher=app.state.hasher)

    def submission(declaration_id: str, **changes) -> submissions.Submission:
        return submissions.from_declaration(Declaration.model_validate(declaration(declaration_id, **changes)),
                                            user, "api")

    return submission


def test_a_batch_writes_everything_in_one_transaction(engine, app, lodger):
    results = submissions.lodge(engine, app.state.risk.current(), [lodger("L1"), lodger("L2")])
    assert all(isinstance(r, submissions.Assessed) and r.created for r in results)
    assert counts(engine) == {"declarations": 2, "goods_items": 2, "import_batches": 1, "submissions": 2,
                              "assessments": 1, "decisions": 2}


def test_a_batch_that_fails_while_recording_leaves_nothing_behind(engine, app, lodger, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(control_service, "record_decisions", broken)
    with pytest.raises(RuntimeError, match="audit trail"):
        submissions.lodge(engine, app.state.risk.current(), [lodger("L1")])
    assert set(counts(engine).values()) == {0}  # no declaration without its decision, no half batch
    monkeypatch.undo()
    again = submissions.lodge(engine, app.state.risk.current(), [lodger("L1")])
    assert again[0].created and counts(engine)["decisions"] == 1


def test_a_write_that_meets_an_id_stored_meanwhile_is_retried_whole(engine, app, lodger, monkeypatch):
    real, calls = lodging_sql.store_lodged, []

    def racing(conn, *args):
        calls.append(1)
        if len(calls) == 1:  # another writer inserts one of these IDs (and commits) between our read and write
            with engine.begin() as other:
                real(other, *args)
            raise IntegrityError("INSERT INTO declarations", {}, Exception("UNIQUE constraint failed"))
        return real(conn, *args)

    monkeypatch.setattr(lodging_sql, "store_lodged", racing)
    results = submissions.lodge(engine, app.state.risk.current(), [lodger("L1")])
    assert len(calls) == 1 and not isinstance(results[0], Exception)  # the retry found it stored: a repeat
    assert counts(engine) == {"declarations": 1, "goods_items": 1, "import_batches": 1, "submissions": 1,
                              "assessments": 1, "decisions": 1}  # our first attempt was rolled back whole


def test_an_id_stored_with_other_content_while_the_batch_was_assessed_is_a_conflict(engine, app, lodger,
                                                                                     monkeypatch):
    other = pd.DataFrame(flatten(Declaration.model_validate(declaration("L1", exchange_rate=0.5)), 1),
                         columns=VALID_COLUMNS)
    real = assess_module.assess

    def assess_while_an_import_runs(frame, engine_, **options):
        batch = repository.start_batch(engine, "import", "csv", "own")
        repository.store(engine, other, batch)
        return real(frame, engine_, **options)

    monkeypatch.setattr(submissions, "assess", assess_while_an_import_runs)
    results = submissions.lodge(engine, app.state.risk.current(), [lodger("L1"), lodger("L2")])
    assert isinstance(results[0], Conflict) and results[1].created
    with engine.connect() as conn:
        decided = set(conn.execute(select(decisions.c.declaration_id)).scalars())
        lodged_by_web = set(conn.execute(select(submissions_table.c.declaration_id)).scalars())
    assert decided == {"L2"} and lodged_by_web == {"L2"}  # nothing of ours about the import's L1


def test_store_and_record_assessment_write_inside_the_callers_transaction(engine):
    valid = pd.DataFrame(flatten(Declaration.model_validate(declaration("R1")), 1), columns=VALID_COLUMNS)
    decided = pd.DataFrame([{"declaration_id": "R1", "lane": "green", "source": "none", "random": False,
                             "risk_score": 0.1, "duty_at_risk": 0.0, "explanation": "{}"}])
    provenance = {"settings_version": "test", "settings": {}, "profiles": {}, "model_version": None}
    with pytest.raises(RuntimeError, match="rolled back"):
        with engine.begin() as conn:
            batch = repository.start_batch(conn, "web", "json", None)
            stored = repository.store(conn, valid, batch)
            repository.finish_batch(conn, batch, stored, pd.DataFrame(columns=REJECT_COLUMNS), 0)
            record_assessment(conn, decided, provenance, "test")
            assert stored.imported == 1 and stored.items == 1
            raise RuntimeError("rolled back")
    assert set(counts(engine).values()) == {0}
    with engine.begin() as conn:
        batch = repository.start_batch(conn, "web", "json", None)
        assert repository.store(conn, valid, batch).imported == 1
        assert repository.store(conn, valid, batch).unchanged == 1  # the same content again: left alone
    assert counts(engine)["declarations"] == 1


def test_the_running_server_keeps_the_collector_quiet_and_restores_it_after():
    before = gc.get_threshold()
    with quiet_collector((12_345, 11, 12)):
        assert gc.get_threshold() == (12_345, 11, 12) and gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_the_batcher_closes_a_worker_started_by_another_event_loop():
    batcher = MicroBatcher(lambda items: items, max_wait=0)
    started = threading.Event()
    loop = asyncio.new_event_loop()

    def serve():  # an event loop of its own, as a test client's portal has
        asyncio.set_event_loop(loop)
        loop.run_until_complete(batcher.submit("a"))
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10)
    asyncio.run(batcher.close())  # another loop: no "attached to a different loop" error
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    assert batcher._worker is None


def test_assess_picks_the_same_header_rows_and_records_as_pandas(risk_engine):
    rows = [row for n, items in ((1, 2), (2, 1), (3, 3))
            for row in flatten(Declaration.model_validate(declaration(f"A{n}", items=items)), 1)]
    frame = pd.DataFrame(rows, columns=VALID_COLUMNS).sample(frac=1, random_state=2).reset_index(drop=True)
    firsts = first_rows(frame["declaration_id"])
    assert firsts == frame.drop_duplicates("declaration_id").index.tolist()
    decided = assess_module.assess(frame, risk_engine)
    assert decided["declaration_id"].tolist() == frame["declaration_id"].drop_duplicates().tolist()
    ours, theirs = records(decided, as_is=True), decided.to_dict("records")
    assert [list(row) for row in ours] == [list(row) for row in theirs]
    for mine, pandas_row in zip(ours, theirs):
        for key, value in pandas_row.items():
            assert type(mine[key]) is type(value) and (mine[key] == value or value != value), key
