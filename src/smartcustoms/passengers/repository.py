"""The passenger domain's SQL: given a connection, never commits."""

import json
from datetime import date, datetime

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from smartcustoms.passengers.models import Flight, Passenger
from smartcustoms.passengers.tables import (
    assessments,
    bags,
    dispositions,
    documents,
    flights,
    matches,
    passengers,
    rule_versions,
    watchlist,
)


def _legs(legs) -> str:
    return json.dumps([leg.model_dump(mode="json") for leg in legs])


def flight_id(conn: Connection, flight: Flight) -> int | None:
    """The stored flight: same carrier and number, and the same first departure or the same last arrival (a
    PNRGOV reports the leg arriving here, a PAXLST every leg)."""
    same_time = [flights.c.departure_at == flight.departure_at]
    if flight.arrival_at is not None:
        same_time.append(flights.c.arrival_at == flight.arrival_at)
    return conn.execute(select(flights.c.flight_id).where(
        flights.c.carrier == flight.carrier, flights.c.number == flight.number, or_(*same_time))
        .order_by(flights.c.flight_id).limit(1)).scalar()


def add_flight(conn: Connection, flight: Flight, now: datetime) -> int:
    return conn.execute(insert(flights).values(
        carrier=flight.carrier, number=flight.number, origin=flight.origin, destination=flight.destination,
        departure_at=flight.departure_at, arrival_at=flight.arrival_at, legs=_legs(flight.legs),
        imported_at=now).returning(flights.c.flight_id)).scalar_one()


def find_passenger(conn: Connection, flight: int, person: Passenger) -> dict | None:
    row = conn.execute(select(passengers).where(
        passengers.c.flight_id == flight, passengers.c.role == person.role,
        passengers.c.surname == person.surname, passengers.c.given_names == person.given_names,
        passengers.c.date_of_birth == person.date_of_birth if person.date_of_birth else
        passengers.c.date_of_birth.is_(None))).mappings().first()
    return dict(row) if row else None


def _person_values(person: Passenger) -> dict:
    booking = person.booking
    return dict(
        role=person.role, surname=person.surname, given_names=person.given_names,
        date_of_birth=person.date_of_birth, sex=person.sex, nationality=person.nationality,
        residence_country=person.residence_country, embarkation=person.embarkation,
        debarkation=person.debarkation, seat=person.seat, bag_count=person.bag_count,
        bag_weight_kg=person.bag_weight_kg,
        pnr_locator=booking.locator if booking else None, booked_at=booking.booked_at if booking else None,
        payment=booking.payment if booking else None, agency=booking.agency if booking else None,
        travellers=booking.travellers if booking and booking.itinerary else None,
        itinerary=_legs(booking.itinerary) if booking and booking.itinerary else None)


def add_passenger(conn: Connection, flight: int, person: Passenger, source: str) -> int:
    return conn.execute(insert(passengers).values(flight_id=flight, sources=source, **_person_values(person))
                        .returning(passengers.c.passenger_id)).scalar_one()


def complete_passenger(conn: Connection, existing: dict, person: Passenger, source: str) -> None:
    """Fill what the other message type did not say (PNR data on a PAXLST passenger, or the reverse)."""
    values = {key: value for key, value in _person_values(person).items()
              if value is not None and existing.get(key) is None}
    sources = set(existing["sources"].split(",")) | {source}
    values["sources"] = ",".join(sorted(sources))
    conn.execute(update(passengers).where(passengers.c.passenger_id == existing["passenger_id"]).values(**values))


def add_documents(conn: Connection, passenger: int, person: Passenger) -> int:
    known = set(conn.execute(select(documents.c.number).where(documents.c.passenger_id == passenger)).scalars())
    added = 0
    for doc in person.documents:
        if doc.number in known:
            continue
        conn.execute(insert(documents).values(passenger_id=passenger, doc_type=doc.doc_type, number=doc.number,
                                              issuing_country=doc.issuing_country, expiry_date=doc.expiry_date))
        known.add(doc.number)
        added += 1
    return added


def add_bags(conn: Connection, flight: int, passenger: int, person: Passenger) -> int:
    known = set(conn.execute(select(bags.c.tag).where(bags.c.flight_id == flight)).scalars())
    added = 0
    for bag in person.bags:
        if bag.tag in known:
            continue
        conn.execute(insert(bags).values(flight_id=flight, passenger_id=passenger, tag=bag.tag,
                                         weight_kg=bag.weight_kg))
        known.add(bag.tag)
        added += 1
    return added


# --------------------------------------------------------------------------------------------------------------
# reads
# --------------------------------------------------------------------------------------------------------------


def flights_arriving(conn: Connection, start: datetime, end: datetime) -> list[dict]:
    counts = (select(passengers.c.flight_id, func.count().label("people"))
              .where(passengers.c.role == "passenger").group_by(passengers.c.flight_id).subquery())
    rows = conn.execute(select(flights, func.coalesce(counts.c.people, 0).label("people"))
                        .outerjoin(counts, counts.c.flight_id == flights.c.flight_id)
                        .where(flights.c.arrival_at >= start, flights.c.arrival_at < end)
                        .order_by(flights.c.arrival_at, flights.c.carrier, flights.c.number)).mappings()
    return [dict(row) for row in rows]


def all_flights(conn: Connection, limit: int = 200) -> list[dict]:
    return [dict(row) for row in conn.execute(
        select(flights).order_by(flights.c.arrival_at.desc()).limit(limit)).mappings()]


def flight(conn: Connection, flight_id_: int) -> dict | None:
    row = conn.execute(select(flights).where(flights.c.flight_id == flight_id_)).mappings().first()
    return dict(row) if row else None


def flight_passengers(conn: Connection, flight_id_: int) -> list[dict]:
    return [dict(row) for row in conn.execute(
        select(passengers).where(passengers.c.flight_id == flight_id_)
        .order_by(passengers.c.passenger_id)).mappings()]


def passenger(conn: Connection, passenger_id: int) -> dict | None:
    row = conn.execute(select(passengers).where(passengers.c.passenger_id == passenger_id)).mappings().first()
    return dict(row) if row else None


def flight_documents(conn: Connection, flight_id_: int) -> list[dict]:
    return [dict(row) for row in conn.execute(
        select(documents).join(passengers, passengers.c.passenger_id == documents.c.passenger_id)
        .where(passengers.c.flight_id == flight_id_)).mappings()]


def flight_bags(conn: Connection, flight_id_: int) -> list[dict]:
    return [dict(row) for row in conn.execute(
        select(bags).where(bags.c.flight_id == flight_id_).order_by(bags.c.bag_id)).mappings()]


def record_bag_screen(conn: Connection, bag_id: int, score: float, source: str, now: datetime) -> None:
    conn.execute(update(bags).where(bags.c.bag_id == bag_id).values(screen_score=score, screen_source=source,
                                                                    screened_at=now))


# --------------------------------------------------------------------------------------------------------------
# watchlist, matches, assessments, dispositions
# --------------------------------------------------------------------------------------------------------------


def replace_watchlist(conn: Connection, list_name: str, entries: list[dict], now: datetime) -> int:
    """Replace a list's entries; entries referenced by a match are kept (their history stays readable)."""
    used = select(matches.c.entry_id)
    conn.execute(delete(watchlist).where(watchlist.c.list_name == list_name, watchlist.c.entry_id.not_in(used)))
    known = set(conn.execute(select(watchlist.c.external_id).where(watchlist.c.list_name == list_name)).scalars())
    rows = [dict(entry, list_name=list_name, added_at=now) for entry in entries if entry["external_id"] not in known]
    if rows:
        conn.execute(insert(watchlist), rows)
    return len(rows)


def watchlist_entries(conn: Connection) -> list[dict]:
    return [dict(row) for row in conn.execute(select(watchlist).order_by(watchlist.c.entry_id)).mappings()]


def flight_matches(conn: Connection, flight_id_: int) -> list[dict]:
    rows = conn.execute(
        select(matches, watchlist.c.list_name, watchlist.c.external_id, watchlist.c.surname.label("entry_surname"),
               watchlist.c.given_names.label("entry_given_names"),
               watchlist.c.date_of_birth.label("entry_date_of_birth"))
        .join(watchlist, watchlist.c.entry_id == matches.c.entry_id)
        .join(passengers, passengers.c.passenger_id == matches.c.passenger_id)
        .where(passengers.c.flight_id == flight_id_).order_by(matches.c.score.desc())).mappings()
    return [dict(row) for row in rows]


def upsert_match(conn: Connection, passenger_id: int, entry_id: int, score: float, reasons: list[str]) -> None:
    exists = conn.execute(select(matches.c.match_id).where(matches.c.passenger_id == passenger_id,
                                                           matches.c.entry_id == entry_id)).scalar()
    if exists is None:
        conn.execute(insert(matches).values(passenger_id=passenger_id, entry_id=entry_id, score=score,
                                            reasons=json.dumps(reasons), status="open"))
    else:
        conn.execute(update(matches).where(matches.c.match_id == exists, matches.c.status == "open")
                     .values(score=score, reasons=json.dumps(reasons)))


def match(conn: Connection, match_id: int) -> dict | None:
    row = conn.execute(select(matches, passengers.c.flight_id)
                       .join(passengers, passengers.c.passenger_id == matches.c.passenger_id)
                       .where(matches.c.match_id == match_id)).mappings().first()
    return dict(row) if row else None


def decide_match(conn: Connection, match_id: int, status: str, officer: str, now: datetime) -> int:
    return conn.execute(update(matches).where(matches.c.match_id == match_id, matches.c.status == "open")
                        .values(status=status, decided_by=officer, decided_at=now)).rowcount


def replace_assessments(conn: Connection, flight_id_: int, rows: list[dict]) -> None:
    conn.execute(delete(assessments).where(assessments.c.flight_id == flight_id_))
    if rows:
        conn.execute(insert(assessments), rows)


def flight_assessments(conn: Connection, flight_id_: int) -> list[dict]:
    return [dict(row) for row in conn.execute(
        select(assessments).where(assessments.c.flight_id == flight_id_)
        .order_by(assessments.c.score.desc())).mappings()]


def add_disposition(conn: Connection, passenger_id: int, result: str, note: str, officer: str,
                    now: datetime) -> int:
    return conn.execute(insert(dispositions).values(passenger_id=passenger_id, result=result, note=note,
                                                    officer=officer, recorded_at=now)
                        .returning(dispositions.c.disposition_id)).scalar_one()


def flight_dispositions(conn: Connection, flight_id_: int) -> list[dict]:
    return [dict(row) for row in conn.execute(
        select(dispositions).join(passengers, passengers.c.passenger_id == dispositions.c.passenger_id)
        .where(passengers.c.flight_id == flight_id_).order_by(dispositions.c.disposition_id)).mappings()]


# --------------------------------------------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------------------------------------------


def latest_rule(conn: Connection, rule_id: str) -> dict | None:
    row = conn.execute(select(rule_versions).where(rule_versions.c.rule_id == rule_id)
                       .order_by(rule_versions.c.version.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def add_rule_version(conn: Connection, rule_id: str, version: int, yaml_text: str, content: str, author: str,
                     now: datetime) -> None:
    conn.execute(update(rule_versions).where(rule_versions.c.rule_id == rule_id,
                                             rule_versions.c.status == "active").values(status="replaced"))
    conn.execute(insert(rule_versions).values(rule_id=rule_id, version=version, yaml=yaml_text, content=content,
                                              author=author, committed_at=now, status="active"))


def retire_rule(conn: Connection, rule_id: str) -> int:
    return conn.execute(update(rule_versions).where(rule_versions.c.rule_id == rule_id,
                                                    rule_versions.c.status == "active")
                        .values(status="retired")).rowcount


def active_rules(conn: Connection) -> list[dict]:
    return [dict(row) for row in conn.execute(
        select(rule_versions).where(rule_versions.c.status == "active").order_by(rule_versions.c.rule_id))
        .mappings()]


def rule_log(conn: Connection) -> list[dict]:
    return [dict(row) for row in conn.execute(
        select(rule_versions.c.rule_id, rule_versions.c.version, rule_versions.c.author,
               rule_versions.c.committed_at, rule_versions.c.status)
        .order_by(rule_versions.c.rule_id, rule_versions.c.version)).mappings()]


def count_rows(conn: Connection, day: date | None = None) -> dict:
    return {name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in (("flights", flights), ("passengers", passengers), ("documents", documents),
                                ("bags", bags))}


