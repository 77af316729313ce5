"""The passenger domain's own models: what PAXLST and PNRGOV messages are mapped into."""

from datetime import date, datetime

from pydantic import BaseModel, Field

ROLES = ("passenger", "crew")
DOCUMENT_TYPES = {"P": "passport", "I": "identity card", "V": "visa", "A": "identity card", "C": "identity card",
                  "F": "facilitation document", "M": "military identification", "IP": "passport card"}


class Leg(BaseModel):
    """One flight leg: from, to, scheduled departure and arrival (local times as sent)."""

    origin: str = Field(max_length=5)
    destination: str = Field(max_length=5)
    departure_at: datetime | None = None
    arrival_at: datetime | None = None


class TravelDocument(BaseModel):
    doc_type: str = Field(max_length=3)  # P passport, I identity card, V visa ...
    number: str = Field(max_length=35)
    issuing_country: str | None = Field(default=None, max_length=3)
    expiry_date: date | None = None


class Bag(BaseModel):
    """A checked bag: its licence-plate tag (carrier code + serial), weight when known."""

    tag: str = Field(max_length=20)
    weight_kg: float | None = None


class Booking(BaseModel):
    """What a PNR adds: record locator, booking date, payment, itinerary, agency, contact."""

    locator: str = Field(max_length=20)
    booked_at: datetime | None = None
    payment: str | None = Field(default=None, max_length=10)  # FOP code: CA cash, CC card, MS misc ...
    agency: str | None = Field(default=None, max_length=35)
    itinerary: list[Leg] = Field(default_factory=list)
    ticket_number: str | None = Field(default=None, max_length=20)
    travellers: int = 1


class Passenger(BaseModel):
    role: str = "passenger"  # passenger or crew
    surname: str = Field(max_length=70)
    given_names: str = Field(default="", max_length=70)
    date_of_birth: date | None = None
    sex: str | None = Field(default=None, max_length=1)  # recorded as sent; never used by any rule
    nationality: str | None = Field(default=None, max_length=3)
    residence_country: str | None = Field(default=None, max_length=3)
    embarkation: str | None = Field(default=None, max_length=5)
    debarkation: str | None = Field(default=None, max_length=5)
    seat: str | None = Field(default=None, max_length=5)
    documents: list[TravelDocument] = Field(default_factory=list)
    bag_count: int | None = None
    bag_weight_kg: float | None = None
    bags: list[Bag] = Field(default_factory=list)
    booking: Booking | None = None


class Flight(BaseModel):
    carrier: str = Field(max_length=3)
    number: str = Field(max_length=8)
    legs: list[Leg] = Field(min_length=1)
    passengers: list[Passenger] = Field(default_factory=list)

    @property
    def origin(self) -> str:
        return self.legs[0].origin

    @property
    def destination(self) -> str:
        return self.legs[-1].destination

    @property
    def departure_at(self) -> datetime | None:
        return self.legs[0].departure_at

    @property
    def arrival_at(self) -> datetime | None:
        return self.legs[-1].arrival_at


class Manifest(BaseModel):
    """A message file read: its format, the interchange's sender and reference, the flights it carries."""

    format: str  # paxlst or pnrgov
    sender: str
    reference: str
    flights: list[Flight]
