"""Passenger use cases: the only thing the web and the CLI call. One transaction each; refusals carry codes."""

import copy
import json
import random
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import yaml
from pydantic import ValidationError
from sqlalchemy import Connection, Engine

from smartcustoms.passengers import bags as bag_screen
from smartcustoms.passengers import repository as repo
from smartcustoms.passengers import rules as rule_book
from smartcustoms.passengers.edifact import EdifactError
from smartcustoms.passengers.lists import ListError, read_persons
from smartcustoms.passengers.matching import THRESHOLD, WatchlistIndex, match_all, person, population_frequency
from smartcustoms.passengers.paxlst import FORMATS, read_manifest
from smartcustoms.passengers.schemas import (
    BagRow,
    DispositionRow,
    FlightRow,
    FlightView,
    ImportSummary,
    MatchRow,
    PassengerRisk,
    RuleCommit,
    ScreenSummary,
)
from smartcustoms.refusals import Kind, Refusal
from smartcustoms.store.db import transaction

Bind = Engine | Connection
SELECTION_CAP = 0.05  # at most this share of a flight's passengers selected by rules (watchlist and bags aside)
RESULTS = ("no_finding", "undeclared_goods", "prohibited_goods", "currency", "referred")


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


# ------------------------------------------------------------------------------------------------------------------
# intake
# ------------------------------------------------------------------------------------------------------------------


def import_messages(db: Bind, text: str, format: str | None = None, now: datetime | None = None) -> ImportSummary:
    """Store the flights, passengers, documents and bags of a PAXLST or PNRGOV interchange, all or nothing.
    A passenger already on the flight (same name and birth, from the other message type) is completed, not
    duplicated. Refused: ``passengers.unreadable`` (position, tag, reason), ``passengers.format``."""
    if format is not None and format not in FORMATS:
        raise Refusal("passengers.format", f"format must be one of {', '.join(FORMATS)}", field="format",
                      format=format)
    try:
        manifest = read_manifest(text, format)
    except EdifactError as exc:
        raise Refusal("passengers.unreadable", str(exc), field="file", position=exc.position, tag=exc.tag,
                      reason=exc.reason) from exc
    now = now or _now()
    counts = {"flights": 0, "passengers": 0, "crew": 0, "documents": 0, "bags": 0, "completed": 0}
    with transaction(db) as conn:
        for flight in manifest.flights:
            flight_id = repo.flight_id(conn, flight)
            if flight_id is None:
                flight_id = repo.add_flight(conn, flight, now)
            counts["flights"] += 1
            for p in flight.passengers:
                existing = repo.find_passenger(conn, flight_id, p)
                if existing is None:
                    passenger_id = repo.add_passenger(conn, flight_id, p, manifest.format)
                    counts["crew" if p.role == "crew" else "passengers"] += 1
                else:
                    passenger_id = existing["passenger_id"]
                    repo.complete_passenger(conn, existing, p, manifest.format)
                    counts["completed"] += 1
                counts["documents"] += repo.add_documents(conn, passenger_id, p)
                counts["bags"] += repo.add_bags(conn, flight_id, passenger_id, p)
    return ImportSummary(format=manifest.format, sender=manifest.sender, reference=manifest.reference, **counts)


# ------------------------------------------------------------------------------------------------------------------
# watchlists and matching
# ------------------------------------------------------------------------------------------------------------------


def read_list(text: str) -> list[dict]:
    try:
        return read_persons(text)
    except ListError as exc:
        raise Refusal("passengers.list_invalid", str(exc), field=exc.column, row=exc.row, reason=exc.reason) from exc


def match_lists(watchlist_text: str, passengers_text: str, threshold: float = THRESHOLD) -> list[dict]:
    """For every passenger of a CSV, the watchlist entries at or above the threshold, with score and reasons."""
    if not 0 < threshold <= 1:
        raise Refusal("passengers.threshold", "the threshold must be in (0, 1]", field="threshold")
    entries, travellers = read_list(watchlist_text), read_list(passengers_text)
    return match_all(travellers, WatchlistIndex(entries), threshold)


def load_watchlist(db: Bind, text: str, list_name: str = "watchlist", now: datetime | None = None) -> int:
    """Replace a stored watchlist with a CSV's entries (entries already matched are kept)."""
    rows = read_list(text)
    entries = [{"external_id": r["id"], "surname": r["surname"], "given_names": r["given_names"],
                "date_of_birth": date.fromisoformat(r["date_of_birth"]) if r["date_of_birth"] else None,
                "nationality": r["nationality"][:3] or None, "document_number": r["document_number"] or None}
               for r in rows]
    with transaction(db) as conn:
        return repo.replace_watchlist(conn, list_name, entries, now or _now())


# ------------------------------------------------------------------------------------------------------------------
# rules
# ------------------------------------------------------------------------------------------------------------------


def commit_rules(db: Bind, text: str, author: str, now: datetime | None = None) -> list[RuleCommit]:
    """Commit rules (YAML): a new version of each rule whose content changed; the old version is replaced."""
    try:
        parsed = rule_book.parse_rules(text)
    except ValidationError as exc:
        words = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}".lstrip(": ") for e in exc.errors())
        raise Refusal("passengers.rule_invalid", words, field="rules", reason=words) from exc
    except (ValueError, yaml.YAMLError) as exc:
        raise Refusal("passengers.rule_invalid", str(exc), field="rules", reason=str(exc)) from exc
    out = []
    with transaction(db) as conn:
        for rule in parsed:
            latest = repo.latest_rule(conn, rule.id)
            if latest and latest["content"] == rule.content() and latest["status"] == "active":
                out.append(RuleCommit(rule_id=rule.id, version=latest["version"], changed=False))
                continue
            version = (latest["version"] + 1) if latest else 1
            repo.add_rule_version(conn, rule.id, version, yaml_dump(rule), rule.content(), author, now or _now())
            out.append(RuleCommit(rule_id=rule.id, version=version, changed=True))
    return out


def yaml_dump(rule: rule_book.Rule) -> str:
    return yaml.safe_dump(rule.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)


def retire_rule(db: Bind, rule_id: str) -> None:
    with transaction(db) as conn:
        if not repo.retire_rule(conn, rule_id):
            raise Refusal("passengers.rule_unknown", f"no active rule {rule_id!r}", field="rule_id",
                          kind=Kind.NOT_FOUND, rule_id=rule_id)


def rule_log(db: Bind) -> list[dict]:
    with transaction(db) as conn:
        return repo.rule_log(conn)


def _active_rules(conn: Connection) -> list[tuple[rule_book.Rule, int]]:
    return [(rule_book.Rule.model_validate_json(row["content"]), row["version"]) for row in repo.active_rules(conn)]


# ------------------------------------------------------------------------------------------------------------------
# screening a flight
# ------------------------------------------------------------------------------------------------------------------


def _flight(conn: Connection, flight_id: int) -> dict:
    """The flight's row; refused (not found) when there is no such flight."""
    flight = repo.flight(conn, flight_id)
    if flight is None:
        raise Refusal("passengers.flight_unknown", f"no flight {flight_id}", field="flight_id", kind=Kind.NOT_FOUND,
                      flight_id=flight_id)
    return flight


def screen_flight(db: Bind, flight_id: int, *, cap: float = SELECTION_CAP, scorer=None,
                  now: datetime | None = None) -> ScreenSummary:
    """Before the flight lands: watchlist matches, rules, bag pre-screening, and the selection under the cap.
    Re-screening replaces the assessments; matches already decided stay decided."""
    if not 0 < cap <= 1:
        raise Refusal("passengers.cap", "the selection cap must be in (0, 1]", field="cap")
    now = now or _now()
    score_bags, source = bag_screen.scorer(scorer)
    with transaction(db) as conn:
        flight = _flight(conn, flight_id)
        people = repo.flight_passengers(conn, flight_id)
        docs: dict[int, list[dict]] = {}
        for doc in repo.flight_documents(conn, flight_id):
            docs.setdefault(doc["passenger_id"], []).append(doc)
        reasons: dict[int, list[dict]] = {p["passenger_id"]: [] for p in people}
        must: set[int] = set()
        # watchlist
        entries = repo.watchlist_entries(conn)
        matched = 0
        if entries:
            index = WatchlistIndex([{"id": e["entry_id"], "surname": e["surname"], "given_names": e["given_names"],
                                     "date_of_birth": e["date_of_birth"], "nationality": e["nationality"],
                                     "document_number": e["document_number"]} for e in entries])
            travellers = [person(p["passenger_id"], p["surname"], p["given_names"], p["date_of_birth"],
                                 p["nationality"], (docs.get(p["passenger_id"]) or [{}])[0].get("number"))
                          for p in people]
            frequency = population_frequency(travellers, index)
            for traveller in travellers:
                for hit in index.match(traveller, THRESHOLD, frequency):
                    pid = int(traveller.id)
                    repo.upsert_match(conn, pid, int(hit["entry"]), hit["score"], hit["reasons"])
                    must.add(pid)
                    matched += 1
                    reasons[pid].append({"kind": "watchlist", "score": hit["score"],
                                         "name": f"{hit['surname']} {hit['given_names']}".strip()})
        dismissed = {m["passenger_id"] for m in repo.flight_matches(conn, flight_id) if m["status"] == "dismissed"}
        open_or_confirmed = {m["passenger_id"] for m in repo.flight_matches(conn, flight_id)
                             if m["status"] != "dismissed"}
        must = (must - dismissed) | open_or_confirmed
        # bags
        bag_rows = repo.flight_bags(conn, flight_id)
        flagged = 0
        if bag_rows:
            scores = score_bags([{"tag": b["tag"], "weight_kg": b["weight_kg"]} for b in bag_rows])
            for b in bag_rows:
                value = scores.get(b["tag"])
                if value is None:
                    continue
                repo.record_bag_screen(conn, b["bag_id"], float(value), source, now)
                if value >= bag_screen.THRESHOLD:
                    flagged += 1
                    must.add(b["passenger_id"])
                    reasons[b["passenger_id"]].append({"kind": "bag", "tag": b["tag"], "score": round(value, 4),
                                                       "source": source})
        # rules
        active = _active_rules(conn)
        rule_scores: dict[int, float] = {}
        for p in people:
            known = rule_book.facts(p, flight, docs.get(p["passenger_id"], []))
            hits = [(rule, version) for rule, version in active if rule.hit(known)]
            rule_scores[p["passenger_id"]] = rule_book.score([rule for rule, _ in hits])
            for rule, version in hits:
                reasons[p["passenger_id"]].append({"kind": "rule", "rule": rule.id, "version": version,
                                                   "title": rule.title, "conditions": rule.reason(),
                                                   "purpose": rule.purpose, "weight": rule.weight})
        travelling = [p for p in people if p["role"] == "passenger"]
        chosen = rule_book.select({p["passenger_id"]: rule_scores[p["passenger_id"]] for p in travelling},
                                  must, cap, len(travelling))
        rows = []
        for p in people:
            pid = p["passenger_id"]
            value = max(rule_scores[pid], 1.0 if pid in must else 0.0)
            rows.append({"flight_id": flight_id, "passenger_id": pid, "score": round(value, 4),
                         "selected": pid in chosen, "reasons": json.dumps(reasons[pid], ensure_ascii=False),
                         "assessed_at": now})
        repo.replace_assessments(conn, flight_id, rows)
    return ScreenSummary(flight_id=flight_id, passengers=len(people), selected=len(chosen), matches=matched,
                         bags_flagged=flagged, bag_source=source, rules=len(active))


# ------------------------------------------------------------------------------------------------------------------
# reading and deciding
# ------------------------------------------------------------------------------------------------------------------


def reason_words(item: dict | str) -> str:
    """A stored reason in English words (the pages say them in the reader's language from the same item)."""
    if isinstance(item, str):
        return item
    if item.get("kind") == "watchlist":
        return f"watchlist match {item['score']:.2f}: {item['name']}"
    if item.get("kind") == "bag":
        return f"bag {item['tag']} flagged by pre-screening ({item['score']:.2f}, {item['source']})"
    if item.get("kind") == "rule":
        return f"rule {item['rule']} v{item['version']}: {item['conditions']} — {item['purpose']}"
    return json.dumps(item, ensure_ascii=False)


def flights_arriving(db: Bind, day: date) -> list[FlightRow]:
    with transaction(db) as conn:
        rows = repo.flights_arriving(conn, datetime.combine(day, time()), datetime.combine(day + timedelta(1), time()))
    return [FlightRow(**{k: r[k] for k in FlightRow.model_fields}) for r in rows]


def flight_view(db: Bind, flight_id: int) -> FlightView:
    with transaction(db) as conn:
        flight = _flight(conn, flight_id)
        people = repo.flight_passengers(conn, flight_id)
        assessed = {a["passenger_id"]: a for a in repo.flight_assessments(conn, flight_id)}
        matches = repo.flight_matches(conn, flight_id)
        bag_rows = repo.flight_bags(conn, flight_id)
        dispositions = repo.flight_dispositions(conn, flight_id)
    risks = []
    for p in people:
        a = assessed.get(p["passenger_id"])
        items = json.loads(a["reasons"]) if a else []
        risks.append(PassengerRisk(
            passenger_id=p["passenger_id"], role=p["role"], surname=p["surname"], given_names=p["given_names"],
            date_of_birth=p["date_of_birth"], nationality=p["nationality"], seat=p["seat"],
            bag_count=p["bag_count"], bag_weight_kg=p["bag_weight_kg"], pnr_locator=p["pnr_locator"],
            score=a["score"] if a else 0.0, selected=bool(a and a["selected"]),
            reasons=[reason_words(item) for item in items], reason_items=items))
    risks.sort(key=lambda r: (not r.selected, -r.score, r.surname))
    return FlightView(
        flight=FlightRow(**{k: flight[k] for k in FlightRow.model_fields if k in flight},
                         people=sum(1 for p in people if p["role"] == "passenger")),
        legs=json.loads(flight["legs"]), passengers=risks,
        matches=[MatchRow(match_id=m["match_id"], passenger_id=m["passenger_id"], entry=m["external_id"],
                          list_name=m["list_name"], entry_name=f"{m['entry_surname']} {m['entry_given_names']}",
                          entry_date_of_birth=m["entry_date_of_birth"], score=m["score"],
                          reasons=json.loads(m["reasons"]), status=m["status"], decided_by=m["decided_by"],
                          decided_at=m["decided_at"]) for m in matches],
        bags=[BagRow(bag_id=b["bag_id"], passenger_id=b["passenger_id"], tag=b["tag"],
                     screen_score=b["screen_score"], screen_source=b["screen_source"],
                     flagged=(b["screen_score"] or 0) >= bag_screen.THRESHOLD) for b in bag_rows],
        dispositions=[DispositionRow(**d) for d in dispositions],
        selected=sum(1 for r in risks if r.selected), selection_cap=SELECTION_CAP, assessed=bool(assessed))


def decide_match(db: Bind, match_id: int, status: str, officer: str, now: datetime | None = None) -> int:
    """Confirm or dismiss an open watchlist match; returns its flight."""
    if status not in ("confirmed", "dismissed"):
        raise Refusal("passengers.match_status", "a match is confirmed or dismissed", field="status")
    with transaction(db) as conn:
        found = repo.match(conn, match_id)
        if found is None:
            raise Refusal("passengers.match_unknown", f"no match {match_id}", field="match_id", kind=Kind.NOT_FOUND,
                          match_id=match_id)
        if found["status"] != "open":
            raise Refusal("passengers.match_decided", f"match {match_id} is already {found['status']}",
                          field="status", kind=Kind.CONFLICT, status=found["status"])
        repo.decide_match(conn, match_id, status, officer, now or _now())
        return found["flight_id"]


def record_disposition(db: Bind, passenger_id: int, result: str, note: str, officer: str,
                       now: datetime | None = None) -> int:
    """The outcome of a passenger's control (the label rules and matching learn from); returns its flight."""
    if result not in RESULTS:
        raise Refusal("passengers.result", f"result must be one of {', '.join(RESULTS)}", field="result")
    with transaction(db) as conn:
        found = repo.passenger(conn, passenger_id)
        if found is None:
            raise Refusal("passengers.passenger_unknown", f"no passenger {passenger_id}", field="passenger_id",
                          kind=Kind.NOT_FOUND, passenger_id=passenger_id)
        repo.add_disposition(conn, passenger_id, result, note.strip()[:2000], officer, now or _now())
        return found["flight_id"]


# ------------------------------------------------------------------------------------------------------------------
# planning and measuring (no database)
# ------------------------------------------------------------------------------------------------------------------


def plan_hall(passengers: int = 300, selection_rate: float = 0.03, replications: int = 10, seed: int = 1,
              **assumptions) -> dict:
    from dataclasses import fields

    from smartcustoms.passengers.hall import Hall, plan

    if passengers < 1 or passengers > 1000:
        raise Refusal("passengers.plan_size", "passengers must be between 1 and 1000", field="passengers")
    if not 0 <= selection_rate <= 1:
        raise Refusal("passengers.plan_rate", "selection rate must be in [0, 1]", field="selection_rate")
    known = {f.name for f in fields(Hall)}
    unknown = set(assumptions) - known
    if unknown:
        raise Refusal("passengers.plan_assumption", f"unknown assumption(s) {sorted(unknown)}", field="assumptions")
    hall = Hall(passengers=passengers, selection_rate=selection_rate, **assumptions)
    return plan(hall, replications, seed)


def plan_charts(passengers: int = 300, selection_rate: float = 0.03, replications: int = 10, seed: int = 1) -> dict:
    """The plan and the claim-to-exit distributions with and without pre-screening (at the staffing found)."""
    from dataclasses import replace

    from smartcustoms.passengers.hall import Hall, histogram

    result = plan_hall(passengers, selection_rate, replications, seed)
    staffing = result["staffing"]
    hall = Hall(passengers=passengers, selection_rate=selection_rate,
                officers=staffing["officers"] or 2, lanes=staffing["lanes"] or 2)
    result["histogram_with"] = histogram(replace(hall, prescreening=True), replications, seed)
    result["histogram_without"] = histogram(replace(hall, prescreening=False, lanes=max(hall.lanes - 1, 1),
                                                    hall_scanners=1), replications, seed)
    return result


def simulate_hall(passengers: int = 300, selection_rate: float = 0.03, officers: int = 3, lanes: int = 4,
                  replications: int = 6, seed: int = 1) -> dict:
    """The hall at a given staffing, with pre-screening and without it (one lane officer moved to a hall X-ray
    machine), and the claim-to-exit distribution of each: what the planning page shows."""
    if not (1 <= passengers <= 1000 and 1 <= officers <= 30 and 1 <= lanes <= 30 and 2 <= replications <= 50):
        raise Refusal("passengers.plan_size", "passengers 1-1000, officers and lanes 1-30, replications 2-50",
                      field="passengers")
    if not 0 <= selection_rate <= 1:
        raise Refusal("passengers.plan_rate", "selection rate must be in [0, 1]", field="selection_rate")
    return copy.deepcopy(_simulated(passengers, selection_rate, officers, lanes, replications, seed))


@lru_cache(maxsize=32)
def _simulated(passengers: int, selection_rate: float, officers: int, lanes: int, replications: int,
               seed: int) -> dict:
    """simulate_hall's figures, kept for the next call with the same arguments (the planning page asks twice:
    the figures, then the chart); deterministic for its arguments."""
    from dataclasses import replace

    from smartcustoms.passengers.hall import Hall, histogram, meets, replicate

    hall = Hall(passengers=passengers, selection_rate=selection_rate, officers=officers, lanes=lanes)
    without = replace(hall, prescreening=False, lanes=max(lanes - 1, 1), hall_scanners=1)
    out = {"with": replicate(hall, replications, seed), "without": replicate(without, replications, seed)}
    out["with"]["meets_targets"] = meets(out["with"])
    out["without"]["meets_targets"] = meets(out["without"])
    out["histogram_with"] = histogram(hall, replications, seed)
    out["histogram_without"] = histogram(without, replications, seed)
    return out


def benchmark(runs: int = 5) -> dict:
    from smartcustoms.passengers import benchmark as bench

    return bench.run(runs)


# ------------------------------------------------------------------------------------------------------------------
# demo
# ------------------------------------------------------------------------------------------------------------------


def seed_demo(db: Bind, day: date, seed: int = 18, flights: int = 3, passengers: int = 120) -> dict:
    """Flights arriving on ``day`` (imported as PAXLST and PNRGOV messages), a watchlist with a few of their
    passengers on it (written in other scripts or with typing errors), the example rules, and each flight
    screened."""
    from smartcustoms.passengers.generator import ROUTES, generate_flight, write_paxlst, write_pnrgov

    rng = random.Random(seed)
    made = []
    for i in range(flights):
        arrival = datetime.combine(day, time(9 + 3 * i, 15 * (i % 4)))
        made.append(generate_flight(rng, passengers=passengers, arrival=arrival, crew=8,
                                    route=ROUTES[(seed + 3 * i) % len(ROUTES)]))
    for flight in made:  # a cash, one-way, last-minute traveller without bags on each flight
        courier = flight.passengers[rng.randrange(len(flight.passengers) - 8)]
        courier.bag_count, courier.bag_weight_kg, courier.bags = 0, None, []
        if courier.booking:
            courier.booking = courier.booking.model_copy(update={
                "payment": "CA", "itinerary": courier.booking.itinerary[:1],
                "booked_at": flight.departure_at - timedelta(days=1)})
    summary = {"paxlst": import_messages(db, write_paxlst(made, reference=f"D{seed}{day:%y%m%d}")).model_dump(),
               "pnrgov": import_messages(db, write_pnrgov(made, groups=True, reference=f"P{seed}{day:%y%m%d}"))
               .model_dump()}
    planted = []
    for flight in made:
        p = flight.passengers[rng.randrange(len(flight.passengers) - 8)]
        planted.append(p)
    lines = ["id,surname,given_names,date_of_birth,nationality,document_number",
             "WL-0001,Иванов,Сергей,1971-03-12,RUS,", "WL-0002,محمد,أحمد,1980-01-15,EGY,",
             "WL-0003,张,伟,1983-05-12,CHN,"]
    for n, p in enumerate(planted, start=4):
        surname = p.surname[:-1] + ("E" if p.surname[-1] != "E" else "A")  # a typing error on the list
        lines.append(f"WL-{n:04d},{surname},{p.given_names},{p.date_of_birth},{p.nationality},")
    load_watchlist(db, "\n".join(lines) + "\n", "demo-watchlist")
    commit_rules(db, rule_book.EXAMPLE_RULES, "demo")
    screened = []
    with transaction(db) as conn:
        ids = [repo.flight_id(conn, flight) for flight in made]
    for flight_id in ids:
        screened.append(screen_flight(db, flight_id).model_dump())
    return {"imports": summary, "flights": ids, "screened": screened}
