"""Passenger use cases on both databases: import all or nothing, screening, matches, dispositions, rules."""

import random
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from smartcustoms.passengers import service
from smartcustoms.passengers.generator import generate_flight, write_paxlst, write_pnrgov
from smartcustoms.passengers.tables import bags, documents, flights, passengers
from smartcustoms.refusals import Kind, Refusal

DATA = Path(__file__).parent / "data"


def counts(engine) -> tuple[int, int, int, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (flights, passengers, documents, bags))


def test_import_stores_and_counts_then_pnrgov_completes(engine):
    flight = generate_flight(random.Random(5), passengers=20, crew=2, arrival=datetime(2026, 3, 1, 10, 0))
    summary = service.import_messages(engine, write_paxlst([flight]))
    assert (summary.flights, summary.passengers, summary.crew) == (1, 20, 2)
    assert summary.documents == 22 and summary.bags == sum(len(p.bags) for p in flight.passengers)
    assert counts(engine) == (1, 22, 22, summary.bags)
    again = service.import_messages(engine, write_pnrgov([flight]))
    assert again.passengers == 0 and again.completed == 20 and again.bags == 0
    with engine.connect() as conn:
        paid = conn.execute(select(func.count()).select_from(passengers)
                            .where(passengers.c.payment.is_not(None))).scalar_one()
    assert paid == 20


def test_broken_file_stores_nothing(engine):
    good = generate_flight(random.Random(6), passengers=5, crew=0)
    bad = generate_flight(random.Random(7), passengers=5, crew=0).model_copy(update={"number": "9"})
    text = write_paxlst([good, bad])
    broken = text[: text.rindex("CNT+42")]  # the second message is never closed
    with pytest.raises(Refusal) as caught:
        service.import_messages(engine, broken)
    assert caught.value.code == "passengers.unreadable" and caught.value.params["tag"]
    assert counts(engine) == (0, 0, 0, 0)


def test_screen_selects_watchlist_match_bag_and_rule_and_records_decisions(engine):
    service.import_messages(engine, (DATA / "pnrgov_guide.edi").read_text())
    service.load_watchlist(engine, "id,surname,given_names,date_of_birth,nationality,document_number\n"
                                   "W1,Петров,Иван,1980-05-01,RUS,\nW2,NOBODY,ELSE,1950-01-01,,\n")
    service.commit_rules(engine, """
- id: cash-payment
  title: Ticket paid in cash
  purpose: cash payment is a courier pattern
  weight: 40
  when: [{field: payment, op: eq, value: CA}]
""", "tester")
    flight_id = service.flights_arriving(engine, date(2026, 1, 15))[0].flight_id

    def flag_first(items):
        return {bag["tag"]: (0.95 if bag["tag"] == "0220123456" else 0.1) for bag in items}

    summary = service.screen_flight(engine, flight_id, cap=0.5, scorer=flag_first)
    assert summary.matches == 1 and summary.bags_flagged == 1 and summary.rules == 1
    view = service.flight_view(engine, flight_id)
    chosen = {p.surname + " " + p.given_names: p for p in view.passengers if p.selected}
    assert set(chosen) == {"PETROV IVAN", "SMITH JOHN"}
    assert any("watchlist match" in r for r in chosen["PETROV IVAN"].reasons)
    assert any("rule cash-payment v1" in r for r in chosen["PETROV IVAN"].reasons)
    assert any("bag 0220123456 flagged" in r for r in chosen["SMITH JOHN"].reasons)
    (match,) = view.matches
    assert match.entry == "W1" and match.status == "open"
    assert service.decide_match(engine, match.match_id, "dismissed", "officer1") == flight_id
    with pytest.raises(Refusal) as caught:
        service.decide_match(engine, match.match_id, "confirmed", "officer1")
    assert caught.value.kind == Kind.CONFLICT
    petrov = chosen["PETROV IVAN"].passenger_id
    service.record_disposition(engine, petrov, "no_finding", "bags searched", "officer1")
    view = service.flight_view(engine, flight_id)
    assert [d.result for d in view.dispositions] == ["no_finding"]
    again = service.screen_flight(engine, flight_id, cap=0.5, scorer=flag_first)
    assert again.matches == 1  # still a hit, but the dismissed match no longer forces the selection
    view = service.flight_view(engine, flight_id)
    assert view.matches[0].status == "dismissed"


def test_rules_are_versioned_and_refused_on_protected_fields(engine):
    rule = ("id: heavy\ntitle: Heavy bags\npurpose: goods for sale\nweight: 20\n"
            "when: [{field: bag_weight_kg, op: gte, value: 40}]\n")
    assert service.commit_rules(engine, rule, "a")[0].version == 1
    assert service.commit_rules(engine, rule, "a")[0].changed is False
    assert service.commit_rules(engine, rule.replace("40", "45"), "b")[0].version == 2
    statuses = [(r["version"], r["status"]) for r in service.rule_log(engine)]
    assert statuses == [(1, "replaced"), (2, "active")]
    for bad, words in (("sex", "protected"), ("nationality", "lawful_purpose")):
        with pytest.raises(Refusal) as caught:
            service.commit_rules(engine, rule.replace("bag_weight_kg", bad), "a")
        assert caught.value.code == "passengers.rule_invalid" and words in str(caught.value)
    service.retire_rule(engine, "heavy")
    with pytest.raises(Refusal) as caught:
        service.retire_rule(engine, "heavy")
    assert caught.value.kind == Kind.NOT_FOUND


def test_unknown_flight_and_passenger_are_refused(engine):
    with pytest.raises(Refusal) as caught:
        service.flight_view(engine, 999)
    assert caught.value.code == "passengers.flight_unknown"
    with pytest.raises(Refusal):
        service.record_disposition(engine, 999, "no_finding", "", "x")
