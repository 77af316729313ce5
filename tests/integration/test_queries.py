"""Document requests and valuation queries (WTO Decision 6.1), on SQLite and PostgreSQL."""

import json
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError

from smartcustoms.control.queries import ConflictError, DeadlineError, QueryError
from smartcustoms.control.service import (
    answer_valuation_query,
    decide_valuation_query,
    expire_overdue,
    open_requests,
    queries_frame,
    raise_valuation_query,
    request_documents,
    requests_frame,
    waive_document,
)
from smartcustoms.control.service import mark_document_received as receive_document
from smartcustoms.control.tables import (
    document_requests,
    evidence,
    outcomes,
    tasks,
    valuation_queries,
    valuation_query_events,
)
from smartcustoms.declarations.tables import declarations, goods_items, import_batches
from smartcustoms.outcomes.service import load_outcomes

RAISED = datetime(2026, 4, 22, 12, 0)  # with 10 days, the deadline is 2026-05-02 12:00
REASONS = "unit price 60 % below the reference price of HS 640399 from CN"


def add_declaration(engine, declaration_id: str, items=((1000.0, 10.0), (3000.0, 5.0)), importer: str = "IMP1",
                    accepted: str = "2026-04-20 09:30", declarant: str = "BRK1") -> None:
    """A stored declaration with goods items of the given (customs value, duty rate %)."""
    with engine.begin() as conn:
        batch = conn.execute(insert(import_batches).values(source="test", format="csv", imported=1, unchanged=0,
                                                           conflicts=0, rejected=0)
                             .returning(import_batches.c.batch_id)).scalar_one()
        conn.execute(insert(declarations).values(
            declaration_id=declaration_id, declaration_type="IM", office_id="FRPAR1",
            acceptance_datetime=pd.Timestamp(accepted).to_pydatetime(), declarant_id=declarant,
            importer_id=importer, seller_id="SEL1", transport_mode="1", incoterm="FOB", invoice_currency="EUR",
            exchange_rate=1.0, dispatch_country="CN", content_hash=declaration_id.ljust(64, "0"), batch_id=batch))
        conn.execute(insert(goods_items), [{
            "declaration_id": declaration_id, "item_number": n, "commodity_code": "6403990000",
            "goods_description": "mens leather shoes", "origin_country": "CN", "quantity": 100.0,
            "quantity_unit": "NPR", "net_mass": 50.0, "item_price": value, "customs_value": value,
            "duty_rate": rate} for n, (value, rate) in enumerate(items, start=1)])


def add_task(engine, declaration_id: str, source: str = "model") -> int:
    now = datetime(2026, 4, 21, 8, 0)
    with engine.begin() as conn:
        return conn.execute(insert(tasks).values(
            declaration_id=declaration_id, office_id="FRPAR1", lane="yellow", mode="documentary", state="created",
            source=source, reasons="[]", checklist="[]", created_at=now, due_at=now + timedelta(days=1),
            updated_at=now, version=1).returning(tasks.c.task_id)).scalar_one()


def add_evidence(engine, declaration_id: str) -> int:
    with engine.begin() as conn:
        return conn.execute(insert(evidence).values(
            declaration_id=declaration_id, kind="document", filename="invoice.pdf", content_type="application/pdf",
            size_bytes=1234, sha256="0" * 64, path=f"{declaration_id}/invoice.pdf", uploaded_by="trader",
            uploaded_at=RAISED).returning(evidence.c.evidence_id)).scalar_one()


def rows(engine, table) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


# --- document requests ------------------------------------------------------------------------------------------


def test_documents_are_requested_received_late_or_waived(engine):
    add_declaration(engine, "D1")
    add_declaration(engine, "D2")
    ids = request_documents(engine, "D1", ["invoice", "certificate_of_origin", "packing_list"], requested_by="off1",
                            at=RAISED)
    assert len(ids) == 3
    stored = requests_frame(engine, "D1")
    assert stored["document_type"].tolist() == ["invoice", "certificate_of_origin", "packing_list"]
    assert (stored["state"] == "requested").all()
    assert (stored["due_at"] == pd.Timestamp(RAISED + timedelta(days=5))).all()

    with pytest.raises(QueryError, match=r"unknown document type\(s\) 'invoce': allowed are invoice, "
                                         r"certificate_of_origin"):
        request_documents(engine, "D1", ["licence", "invoce"], requested_by="off1", at=RAISED)
    with pytest.raises(QueryError, match=r"already requested and not yet received: invoice \(request"):
        request_documents(engine, "D1", ["invoice"], requested_by="off1", at=RAISED)
    with pytest.raises(QueryError, match="no declaration 'NOPE'"):
        request_documents(engine, "NOPE", ["invoice"], requested_by="off1", at=RAISED)
    assert count(engine, document_requests) == 3  # the refused calls wrote nothing (not even the valid licence)

    on_time = receive_document(engine, ids[0], add_evidence(engine, "D1"), at=RAISED + timedelta(days=2))
    late = receive_document(engine, ids[1], add_evidence(engine, "D1"), at=RAISED + timedelta(days=6))
    assert (on_time, late) == (False, True)
    with pytest.raises(QueryError, match=f"document request {ids[0]} is received"):
        receive_document(engine, ids[0], add_evidence(engine, "D1"), at=RAISED + timedelta(days=3))
    with pytest.raises(QueryError, match="belongs to declaration D2, not D1"):
        receive_document(engine, ids[2], add_evidence(engine, "D2"), at=RAISED + timedelta(days=3))

    stored = requests_frame(engine, "D1").set_index("request_id")
    assert stored.loc[ids[0], "state"] == "received" and not stored.loc[ids[0], "late"]
    assert stored.loc[ids[1], "late"]
    waiting = open_requests(engine, "D1", at=RAISED + timedelta(days=6))
    assert waiting["request_id"].tolist() == [ids[2]] and waiting["overdue"].tolist() == [True]

    waive_document(engine, ids[2], at=RAISED + timedelta(days=7))
    with pytest.raises(QueryError, match="is waived: only a requested document can be waived"):
        waive_document(engine, ids[2], at=RAISED + timedelta(days=7))
    assert open_requests(engine).empty
    assert requests_frame(engine, state="waived")["request_id"].tolist() == [ids[2]]


# --- valuation queries ------------------------------------------------------------------------------------------


def test_a_query_needs_reasons_and_reads_value_and_duty_from_the_declaration(engine):
    add_declaration(engine, "D1")  # 1000 at 10 % + 3000 at 5 %: value 4000, duty 250, effective rate 6.25 %
    for reasons in ("", "   ", "price", "too low"):
        with pytest.raises(QueryError, match=r"reasons to doubt .* \(WTO Decision 6.1\), in at least 3 words"):
            raise_valuation_query(engine, "D1", reasons_to_doubt=reasons, raised_by="off1", at=RAISED)
    assert count(engine, valuation_queries) == 0
    with pytest.raises(QueryError, match="no declaration 'D9'"):
        raise_valuation_query(engine, "D9", reasons_to_doubt=REASONS, raised_by="off1", at=RAISED)
    query_id = raise_valuation_query(engine, "D1", reasons_to_doubt=REASONS, raised_by="off1", at=RAISED)
    row = queries_frame(engine).iloc[0]
    assert row["query_id"] == query_id and row["state"] == "open" and row["version"] == 1
    assert row["declared_value"] == pytest.approx(4000.0)
    assert row["duty_rate"] == pytest.approx(6.25)
    assert row["deadline"] == pd.Timestamp("2026-05-02 12:00")
    with pytest.raises(QueryError, match=f"already has valuation query {query_id} \\(open"):
        raise_valuation_query(engine, "D1", reasons_to_doubt=REASONS, raised_by="off1", at=RAISED)


def test_answers_before_the_deadline_are_taken_and_later_ones_refused(engine):
    add_declaration(engine, "D1")
    add_declaration(engine, "D2")
    late_id = raise_valuation_query(engine, "D1", reasons_to_doubt=REASONS, raised_by="off1", at=RAISED)
    before = rows(engine, valuation_queries)
    with pytest.raises(DeadlineError) as refused:
        answer_valuation_query(engine, late_id, answer="here is our contract", answered_by="IMP1",
                               at=datetime(2026, 5, 2, 12, 1))
    assert str(refused.value) == (f"valuation query {late_id}: the deadline was 2026-05-02 12:00; answers are no "
                                  f"longer accepted")
    assert rows(engine, valuation_queries) == before  # state unchanged

    on_time = raise_valuation_query(engine, "D2", reasons_to_doubt=REASONS, raised_by="off1", at=RAISED)
    version = answer_valuation_query(engine, on_time, answer="the contract and bank transfer are attached",
                                     answered_by="IMP1", at=datetime(2026, 5, 2, 12, 0))  # the deadline itself
    assert version == 2
    row = queries_frame(engine, declaration_id="D2").iloc[0]
    assert (row["state"], row["answered_by"], row["answered_at"]) == ("answered", "IMP1",
                                                                     pd.Timestamp("2026-05-02 12:00"))
    with pytest.raises(QueryError, match="is answered: only an open query can be answered"):
        answer_valuation_query(engine, on_time, answer="again", answered_by="IMP1", at=RAISED)


def test_accept_keeps_the_duty_and_writes_a_documentary_outcome(engine):
    add_declaration(engine, "D1")
    query_id = raise_valuation_query(engine, "D1", reasons_to_doubt=REASONS, raised_by="off1", at=RAISED)
    with pytest.raises(QueryError, match="awaits the trader's answer until 2026-05-02 12:00"):
        decide_valuation_query(engine, query_id, decision="accept", decided_by="off2", at=RAISED)
    answer_valuation_query(engine, query_id, answer="contract attached", answered_by="IMP1", at=RAISED)
    result = decide_valuation_query(engine, query_id, decision="accept", decided_by="off2",
                                    at=datetime(2026, 4, 25, 15, 30))
    assert (result["duty_before"], result["duty_after"], result["duty_recovered"]) == (250.0, 250.0, 0.0)
    assert queries_frame(engine).iloc[0]["state"] == "accepted"
    stored = load_outcomes(engine).iloc[0]
    assert (stored["control_type"], stored["selection_reason"], stored["result"], stored["infringement"]) == (
        "documentary", "query", "no_discrepancy", "")
    assert stored["inspection_date"] == pd.Timestamp("2026-04-25")
    with pytest.raises(QueryError, match="already decided \\(accepted\\)"):
        decide_valuation_query(engine, query_id, decision="adjust", adjusted_value=5000, decided_by="off2",
                               at=RAISED + timedelta(days=4))


def test_adjust_recomputes_the_duty_at_the_effective_rate(engine):
    add_declaration(engine, "D1")
    task_id = add_task(engine, "D1", source="model")
    query_id = raise_valuation_query(engine, "D1", reasons_to_doubt=REASONS, raised_by="off1", task_id=task_id,
                                     at=RAISED)
    answer_valuation_query(engine, query_id, answer="price list attached", answered_by="IMP1", at=RAISED)
    for bad in (None, 0, -5.0, float("nan")):
        with pytest.raises(QueryError, match="'adjust' needs the adjusted customs value"):
            decide_valuation_query(engine, query_id, decision="adjust", adjusted_value=bad, decided_by="off2",
                                   at=RAISED)
    with pytest.raises(QueryError, match="decision must be 'accept' or 'adjust'"):
        decide_valuation_query(engine, query_id, decision="reject", decided_by="off2", at=RAISED)
    assert count(engine, outcomes) == 0
    # 6000 at 6.25 % = 375; declared 4000 -> 250; recovered 125
    result = decide_valuation_query(engine, query_id, decision="adjust", adjusted_value=6000.0, decided_by="off2",
                                    at=datetime(2026, 4, 28, 10, 0))
    assert (result["duty_before"], result["duty_after"], result["duty_recovered"]) == (250.0, 375.0, 125.0)
    row = queries_frame(engine).iloc[0]
    assert (row["state"], row["decided_value"], row["decided_by"], row["version"]) == ("adjusted", 6000.0, "off2", 3)
    with engine.connect() as conn:
        stored = conn.execute(select(outcomes)).one()
    assert stored.outcome_id == result["outcome_id"]
    assert (stored.result, stored.infringement, stored.selection_reason, stored.task_id) == (
        "discrepancy", "valuation", "model", task_id)
    assert (stored.duty_before, stored.duty_after, stored.duty_recovered) == (250.0, 375.0, 125.0)
    assert stored.inspection_date == datetime(2026, 4, 28) and stored.officer == "off2"


def test_unanswered_queries_expire_and_may_then_be_decided(engine):
    add_declaration(engine, "D1")
    add_declaration(engine, "D2")
    first = raise_valuation_query(engine, "D1", reasons_to_doubt=REASONS, raised_by="off1", at=RAISED)
    second = raise_valuation_query(engine, "D2", reasons_to_doubt=REASONS, raised_by="off1", deadline_days=30,
                                   at=RAISED)
    assert expire_overdue(engine, at=datetime(2026, 5, 2, 12, 0)) == []  # the deadline itself: still open
    assert expire_overdue(engine, at=datetime(2026, 5, 3)) == [first]
    assert queries_frame(engine, state="open")["query_id"].tolist() == [second]
    with pytest.raises(DeadlineError, match="answers are no longer accepted"):
        answer_valuation_query(engine, first, answer="sorry, late", answered_by="IMP1", at=datetime(2026, 5, 3))
    result = decide_valuation_query(engine, first, decision="adjust", adjusted_value=3000.0, decided_by="off2",
                                    at=datetime(2026, 5, 4))
    # lowered value: 3000 at 6.25 % = 187.5 -> nothing recovered, no discrepancy
    assert (result["duty_after"], result["duty_recovered"], result["state"]) == (187.5, 0.0, "adjusted")
    assert load_outcomes(engine)["result"].tolist() == ["no_discrepancy"]
    # an open query past its deadline can be decided without expiring it first (Decision 6.1 para 2)
    decide_valuation_query(engine, second, decision="accept", decided_by="off2", at=datetime(2026, 5, 23))


def test_optimistic_locking_refuses_a_stale_version(engine):
    add_declaration(engine, "D1")
    query_id = raise_valuation_query(engine, "D1", reasons_to_doubt=REASONS, raised_by="off1", at=RAISED)
    with pytest.raises(ConflictError, match="changed meanwhile \\(version 1, you had 2\\)"):
        answer_valuation_query(engine, query_id, answer="contract", answered_by="IMP1", at=RAISED,
                               expected_version=2)
    assert answer_valuation_query(engine, query_id, answer="contract", answered_by="IMP1", at=RAISED,
                                  expected_version=1) == 2
    before = rows(engine, valuation_queries)
    with pytest.raises(ConflictError):
        decide_valuation_query(engine, query_id, decision="adjust", adjusted_value=6000.0, decided_by="off2",
                               at=RAISED, expected_version=1)  # read before the answer
    assert rows(engine, valuation_queries) == before and count(engine, outcomes) == 0
    decide_valuation_query(engine, query_id, decision="adjust", adjusted_value=6000.0, decided_by="off2", at=RAISED,
                           expected_version=2)
    assert count(engine, outcomes) == 1


def test_every_step_is_logged_once_and_the_log_cannot_be_changed(engine):
    add_declaration(engine, "D1")
    query_id = raise_valuation_query(engine, "D1", reasons_to_doubt=REASONS, raised_by="off1", at=RAISED)
    with pytest.raises(DeadlineError):
        answer_valuation_query(engine, query_id, answer="too late", answered_by="IMP1", at=RAISED + timedelta(days=11))
    answer_valuation_query(engine, query_id, answer="price list attached", answered_by="IMP1", at=RAISED)
    decide_valuation_query(engine, query_id, decision="accept", decided_by="off2", at=RAISED + timedelta(days=1))
    log = rows(engine, valuation_query_events)
    assert [(e["action"], e["actor"]) for e in log] == [("raised", "off1"), ("answered", "IMP1"), ("accepted", "off2")]
    assert json.loads(log[0]["details"])["declared_value"] == 4000.0
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(update(valuation_query_events).values(actor="someone else"))
    assert rows(engine, valuation_query_events)[0]["actor"] == "off1"
