"""Input and output models of the passenger use cases."""

from datetime import date, datetime

from pydantic import BaseModel, Field


class ImportSummary(BaseModel):
    format: str
    sender: str
    reference: str
    flights: int
    passengers: int
    crew: int
    documents: int
    bags: int
    completed: int = 0  # passengers already known (from the other message type) whose data was completed


class FlightRow(BaseModel):
    flight_id: int
    carrier: str
    number: str
    origin: str
    destination: str
    departure_at: datetime | None
    arrival_at: datetime | None
    people: int = 0


class PassengerRisk(BaseModel):
    passenger_id: int
    role: str
    surname: str
    given_names: str
    date_of_birth: date | None
    nationality: str | None
    seat: str | None
    bag_count: int | None
    bag_weight_kg: float | None
    pnr_locator: str | None
    score: float
    selected: bool
    reasons: list[str]  # in English words
    reason_items: list[dict] = []  # the same reasons as data: kind watchlist (score, name), bag (tag, score, source),
    # rule (rule, version, title, conditions, purpose, weight)


class MatchRow(BaseModel):
    match_id: int
    passenger_id: int
    entry: str
    list_name: str
    entry_name: str
    entry_date_of_birth: date | None
    score: float
    reasons: list[str]
    status: str
    decided_by: str | None
    decided_at: datetime | None


class BagRow(BaseModel):
    bag_id: int
    passenger_id: int
    tag: str
    screen_score: float | None
    screen_source: str | None
    flagged: bool


class DispositionRow(BaseModel):
    disposition_id: int
    passenger_id: int
    result: str
    note: str
    officer: str
    recorded_at: datetime


class FlightView(BaseModel):
    flight: FlightRow
    legs: list[dict]
    passengers: list[PassengerRisk]
    matches: list[MatchRow]
    bags: list[BagRow]
    dispositions: list[DispositionRow]
    selected: int
    selection_cap: float
    assessed: bool


class ScreenSummary(BaseModel):
    flight_id: int
    passengers: int
    selected: int
    matches: int
    bags_flagged: int
    bag_source: str
    rules: int


class DispositionIn(BaseModel):
    result: str = Field(pattern=r"^(no_finding|undeclared_goods|prohibited_goods|currency|referred)$")
    note: str = Field(default="", max_length=2000)


class MatchDecisionIn(BaseModel):
    status: str = Field(pattern=r"^(confirmed|dismissed)$")


class RuleCommit(BaseModel):
    rule_id: str
    version: int
    changed: bool
