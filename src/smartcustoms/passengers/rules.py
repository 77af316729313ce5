"""Officer-authored passenger risk rules: YAML, explainable, versioned, and bounded by law.

A rule::

    id: long-haul-no-bags
    title: Long-haul trip with no checked bag, booked late and paid in cash
    purpose: cash couriers travel light on long flights   # why the rule exists (shown with every hit)
    weight: 40                                             # 0-100: how much a hit raises the passenger's score
    when:                                                  # all conditions must hold
      - {field: flight_hours, op: gte, value: 6}
      - {field: bag_count, op: eq, value: 0}
      - {field: booked_days_before, op: lte, value: 3}

Fields (what a passenger's advance data says): ``route`` (origin-destination, e.g. "LOS-CDG"), ``origin``,
``embarkation``, ``flight_hours``, ``bag_count``, ``bag_weight_kg``, ``stay_days`` (until the return leg in the
PNR), ``kg_per_stay_day``, ``one_way``, ``booked_days_before``, ``payment`` (FOP code: CA cash, CC card, MS
other), ``agency``, ``travellers`` (in the booking), ``document_expiry_days``, ``role`` (passenger or crew), and
``nationality`` / ``residence_country`` only in a rule that states its ``lawful_purpose``. Protected
characteristics (sex, age or date of birth, and anything not in this list) cannot be used at all.
"""

import json
import math
from datetime import datetime
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, field_validator, model_validator

FIELDS = {"route", "origin", "embarkation", "flight_hours", "bag_count", "bag_weight_kg", "stay_days",
          "kg_per_stay_day", "one_way", "booked_days_before", "payment", "agency", "travellers",
          "document_expiry_days", "role"}
RESTRICTED = {"nationality", "residence_country"}  # only with a stated lawful purpose
PROTECTED = {"sex", "gender", "age", "date_of_birth", "religion", "ethnicity", "race", "given_names", "surname"}
OPS = {"eq", "ne", "in", "not_in", "gte", "lte", "gt", "lt"}


class Condition(BaseModel):
    field: str
    op: Literal["eq", "ne", "in", "not_in", "gte", "lte", "gt", "lt"]
    value: Any

    @field_validator("field")
    @classmethod
    def known(cls, value: str) -> str:
        if value in PROTECTED:
            raise ValueError(f"{value!r} is a protected characteristic: no rule may use it")
        if value not in FIELDS | RESTRICTED:
            raise ValueError(f"unknown field {value!r}; one of {sorted(FIELDS | RESTRICTED)}")
        return value

    def holds(self, facts: dict) -> bool:
        have = facts.get(self.field)
        if have is None:
            return False
        try:
            if self.op == "eq":
                return have == self.value
            if self.op == "ne":
                return have != self.value
            if self.op == "in":
                return have in self.value
            if self.op == "not_in":
                return have not in self.value
            if self.op == "gte":
                return have >= self.value
            if self.op == "lte":
                return have <= self.value
            if self.op == "gt":
                return have > self.value
            return have < self.value
        except TypeError:
            return False

    def words(self) -> str:
        symbol = {"eq": "=", "ne": "≠", "in": "in", "not_in": "not in", "gte": "≥", "lte": "≤", "gt": ">",
                  "lt": "<"}[self.op]
        value = ", ".join(map(str, self.value)) if isinstance(self.value, list) else self.value
        return f"{self.field} {symbol} {value}"


class Rule(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    title: str = Field(min_length=3, max_length=200)
    purpose: str = Field(min_length=3, max_length=500)
    lawful_purpose: str | None = Field(default=None, max_length=500)
    weight: float = Field(gt=0, le=100)
    when: list[Condition] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def restricted_needs_purpose(self):
        used = {condition.field for condition in self.when} & RESTRICTED
        if used and not (self.lawful_purpose and self.lawful_purpose.strip()):
            raise ValueError(f"{', '.join(sorted(used))} may only be used by a rule that states its lawful_purpose")
        return self

    def content(self) -> str:
        """Canonical JSON: equal text, unchanged rule."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)

    def hit(self, facts: dict) -> bool:
        return all(condition.holds(facts) for condition in self.when)

    def reason(self) -> str:
        return f"{self.title} ({'; '.join(c.words() for c in self.when)})"


def parse_rules(text: str) -> list[Rule]:
    """One rule, or a list of rules, from YAML. Raises ValueError with the rule and field at fault."""
    data = yaml.safe_load(text)
    items = data if isinstance(data, list) else [data]
    rules = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"rule {position}: expected a mapping with id, title, purpose, weight, when")
        rules.append(Rule.model_validate(item))
    return rules


def facts(passenger: dict, flight: dict, documents: list[dict]) -> dict:
    """What rules may look at, for one passenger (a row of pax_passengers) on one flight (a row of pax_flights)."""
    departure, arrival = flight.get("departure_at"), flight.get("arrival_at")
    hours = (arrival - departure).total_seconds() / 3600 if departure and arrival else None
    out = {
        "route": f"{flight['origin']}-{flight['destination']}", "origin": flight["origin"],
        "embarkation": passenger.get("embarkation"), "flight_hours": round(hours, 2) if hours is not None else None,
        "bag_count": passenger.get("bag_count"), "bag_weight_kg": passenger.get("bag_weight_kg"),
        "payment": passenger.get("payment"), "agency": passenger.get("agency"),
        "travellers": passenger.get("travellers"), "role": passenger.get("role"),
        "nationality": passenger.get("nationality"), "residence_country": passenger.get("residence_country"),
    }
    booked = passenger.get("booked_at")
    if booked and departure:
        out["booked_days_before"] = (departure - booked).total_seconds() / 86400
    itinerary = json.loads(passenger["itinerary"]) if passenger.get("itinerary") else []
    if itinerary and arrival:
        back = [leg for leg in itinerary if leg["origin"] == flight["destination"] and leg.get("departure_at")
                and datetime.fromisoformat(leg["departure_at"]) > arrival]
        out["one_way"] = not back
        if back:
            stay = (min(datetime.fromisoformat(leg["departure_at"]) for leg in back) - arrival).total_seconds()
            out["stay_days"] = round(stay / 86400, 2)
            if passenger.get("bag_weight_kg") is not None:
                out["kg_per_stay_day"] = round(passenger["bag_weight_kg"] / max(stay / 86400, 1), 2)
    expiries = [d["expiry_date"] for d in documents if d.get("expiry_date")]
    if expiries and arrival:
        out["document_expiry_days"] = (min(expiries) - arrival.date()).days
    return out


def score(hits: list[Rule]) -> float:
    """1 - prod(1 - weight/100): independent pieces of evidence, each rule at most its weight."""
    return 1 - math.prod(1 - rule.weight / 100 for rule in hits)


def select(scores: dict[int, float], must: set[int], cap_rate: float, passengers: int,
           min_score: float = 0.3) -> set[int]:
    """Who is selected on a flight: every passenger who must be (a confirmed or open watchlist match, a flagged
    bag), then the highest scores at or above ``min_score`` while the selection stays within ``cap_rate`` of the
    flight's passengers."""
    cap = max(1, math.floor(cap_rate * passengers)) if passengers else 0
    chosen = set(must)
    for key, value in sorted(scores.items(), key=lambda item: (-item[1], item[0])):
        if len(chosen) >= cap:
            break
        if value >= min_score:
            chosen.add(key)
    return chosen


EXAMPLE_RULES = """\
- id: long-haul-no-bags
  title: Long-haul trip with no checked bag, booked at the last minute
  purpose: couriers carrying on their person travel light and book late
  weight: 35
  when:
    - {field: flight_hours, op: gte, value: 5}
    - {field: bag_count, op: eq, value: 0}
    - {field: booked_days_before, op: lte, value: 3}
- id: cash-one-way
  title: One-way ticket paid in cash
  purpose: cash payment of a one-way ticket is a known courier booking pattern
  weight: 30
  when:
    - {field: payment, op: eq, value: CA}
    - {field: one_way, op: eq, value: true}
- id: heavy-bags-short-stay
  title: Heavy bags for a short stay
  purpose: more than 10 kg per day of stay suggests goods for sale rather than personal effects
  weight: 30
  when:
    - {field: kg_per_stay_day, op: gt, value: 10}
    - {field: bag_weight_kg, op: gte, value: 30}
"""
