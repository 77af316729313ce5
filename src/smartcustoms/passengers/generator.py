"""A generator of realistic flights and passenger lists, and writers of PAXLST / PNRGOV interchanges.

Names, nationalities and routes are drawn from small built-in tables (names as airlines send them: Latin
letters, the machine-readable-zone transliteration); bag counts and weights follow the trip's length; about one
booking in four holds two to four travellers. Deterministic for a seed.
"""

import random
from datetime import date, datetime, timedelta

from smartcustoms.passengers.models import Bag, Booking, Flight, Leg, Passenger, TravelDocument

NAMES = {
    "GBR": (["SMITH", "JONES", "TAYLOR", "BROWN", "WILLIAMS", "WILSON", "EVANS", "THOMAS", "ROBERTS", "WALKER"],
            ["OLIVER", "GEORGE", "HARRY", "AMELIA", "OLIVIA", "ISLA", "EMILY", "JACK", "SOPHIE", "JAMES"]),
    "FRA": (["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY", "MOREAU"],
            ["JEAN", "MARIE", "LOUIS", "CAMILLE", "LEA", "HUGO", "CHLOE", "LUCAS", "MANON", "GABRIEL"]),
    "DEU": (["MUELLER", "SCHMIDT", "SCHNEIDER", "FISCHER", "WEBER", "MEYER", "WAGNER", "BECKER", "SCHULZ", "HOFFMANN"],
            ["LUKAS", "LEON", "FINN", "MIA", "EMMA", "HANNAH", "JONAS", "LENA", "ANNA", "PAUL"]),
    "RUS": (["IVANOV", "SMIRNOV", "KUZNETSOV", "POPOV", "VASILEV", "PETROV", "SOKOLOV", "MIKHAILOV", "FEDOROV",
             "MOROZOV"],
            ["ALEKSANDR", "DMITRII", "MAKSIM", "SERGEI", "ANNA", "MARIIA", "ELENA", "OLGA", "IURII", "NATALIA"]),
    "EGY": (["MOHAMED", "AHMED", "HASSAN", "IBRAHIM", "ALI", "MAHMOUD", "SAYED", "ABDELRAHMAN", "MOSTAFA", "SALEH"],
            ["OMAR", "YOUSSEF", "KHALED", "FATMA", "MARIAM", "NOUR", "AMR", "HANA", "KARIM", "SALMA"]),
    "CHN": (["WANG", "LI", "ZHANG", "LIU", "CHEN", "YANG", "HUANG", "ZHAO", "WU", "ZHOU"],
            ["WEI", "FANG", "NA", "XIU YING", "MIN", "JING", "LEI", "QIANG", "JUN", "YANG"]),
    "NGA": (["OKAFOR", "ADEYEMI", "BELLO", "OKONKWO", "ABUBAKAR", "EZE", "OLUWASEUN", "IBRAHIM", "NWOSU", "ADEBAYO"],
            ["CHINEDU", "EMEKA", "AISHA", "NGOZI", "TUNDE", "FUNMI", "IFEOMA", "SEUN", "YUSUF", "KEMI"]),
    "BRA": (["SILVA", "SANTOS", "OLIVEIRA", "SOUZA", "RODRIGUES", "FERREIRA", "ALVES", "PEREIRA", "LIMA", "GOMES"],
            ["JOAO", "MARIA", "ANA", "PEDRO", "LUCAS", "JULIA", "GABRIEL", "BEATRIZ", "RAFAEL", "LARISSA"]),
    "USA": (["JOHNSON", "MILLER", "DAVIS", "GARCIA", "RODRIGUEZ", "MARTINEZ", "ANDERSON", "JACKSON", "WHITE",
             "HARRIS"],
            ["MICHAEL", "JENNIFER", "DAVID", "SARAH", "CHRISTOPHER", "JESSICA", "DANIEL", "ASHLEY", "MATTHEW",
             "EMILY"]),
}
NATIONALITY_WEIGHTS = {"GBR": 18, "FRA": 22, "DEU": 12, "RUS": 6, "EGY": 6, "CHN": 8, "NGA": 6, "BRA": 8, "USA": 14}
ROUTES = [  # (carrier, number, origin, hours of flight)
    ("AF", "1681", "CAI", 4.8), ("AF", "0339", "BOS", 7.2), ("BA", "0334", "LHR", 1.2), ("LH", "1036", "FRA", 1.3),
    ("AF", "0119", "PVG", 12.6), ("AF", "0149", "LOS", 6.4), ("AF", "0443", "GRU", 11.4), ("SU", "2454", "SVO", 4.2),
    ("MS", "0799", "CAI", 4.9), ("AF", "0023", "JFK", 7.4),
]
TRANSITS = {"LOS": "ABV", "GRU": "GIG", "PVG": "PEK"}


def _tag_stem(carrier: str) -> str:
    """IATA licence plate: a leading 0 and the carrier's three-digit accounting code (made up here)."""
    return "0" + f"{sum(ord(c) for c in carrier) % 900 + 100:03d}"


def generate_flight(rng: random.Random, *, passengers: int = 300, arrival: datetime | None = None,
                    destination: str = "CDG", crew: int = 12, route: tuple | None = None) -> Flight:
    carrier, number, origin, hours = route or rng.choice(ROUTES)
    arrival = arrival or datetime(2026, 1, 15, 14, 30)
    departure = arrival - timedelta(hours=hours)
    legs = [Leg(origin=origin, destination=destination, departure_at=departure, arrival_at=arrival)]
    if origin in TRANSITS and rng.random() < 0.5:  # a multi-leg flight: a first stop
        first = departure - timedelta(hours=1.8)
        legs = [Leg(origin=TRANSITS[origin], destination=origin, departure_at=first,
                    arrival_at=first + timedelta(hours=1)), legs[0]]
    people: list[Passenger] = []
    tag_serial = rng.randrange(100000, 800000)
    nationalities, weights = zip(*NATIONALITY_WEIGHTS.items())
    while len(people) < passengers:
        size = min(passengers - len(people), rng.choices([1, 2, 3, 4], [70, 18, 8, 4])[0])
        nationality = rng.choices(nationalities, weights)[0]
        surnames, givens = NAMES[nationality]
        surname = rng.choice(surnames)
        locator = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
        booked = departure - timedelta(days=rng.choice([1, 3, 7, 14, 21, 45, 60, 90]), hours=rng.randrange(24))
        payment = rng.choices(["CC", "CA", "MS"], [90, 6, 4])[0]
        booking = Booking(locator=locator, booked_at=booked, payment=payment, travellers=size,
                          itinerary=[leg.model_copy() for leg in legs],
                          agency=rng.choice(["WEB", "TRAVELWORLD", "SKYTOURS", f"{carrier} CITY OFFICE"]))
        for member in range(size):
            birth = date(rng.randrange(1945, 2020), rng.randrange(1, 13), rng.randrange(1, 29))
            bags = rng.choices([0, 1, 2, 3], [15, 55, 25, 5] if hours > 3 else [45, 45, 9, 1])[0]
            weight = round(sum(rng.uniform(8, 23) for _ in range(bags)), 1) if bags else None
            stem = _tag_stem(carrier)
            passenger = Passenger(
                surname=surname if member == 0 or rng.random() < 0.8 else rng.choice(surnames),
                given_names=rng.choice(givens), date_of_birth=birth, sex=rng.choice("MF"),
                nationality=nationality, residence_country=nationality if rng.random() < 0.8 else "FRA",
                embarkation=legs[0].origin, debarkation=destination,
                seat=f"{rng.randrange(1, 45)}{rng.choice('ABCDEF')}",
                documents=[TravelDocument(doc_type="P", number=f"{nationality[:2]}{rng.randrange(10**6, 10**7)}",
                                          issuing_country=nationality,
                                          expiry_date=date(rng.randrange(2027, 2036), rng.randrange(1, 13), 1))],
                bag_count=bags, bag_weight_kg=weight,
                bags=[Bag(tag=f"{stem}{tag_serial + i:06d}") for i in range(bags)],
                booking=booking)
            tag_serial += bags
            people.append(passenger)
    for i in range(crew):
        nationality = "FRA" if carrier == "AF" else rng.choice(nationalities)
        surnames, givens = NAMES[nationality]
        people.append(Passenger(role="crew", surname=rng.choice(surnames), given_names=rng.choice(givens),
                                date_of_birth=date(rng.randrange(1965, 2002), rng.randrange(1, 13), 1 + i),
                                nationality=nationality, embarkation=legs[0].origin, debarkation=destination,
                                documents=[TravelDocument(doc_type="P", number=f"C{rng.randrange(10**7, 10**8)}",
                                                          issuing_country=nationality)]))
    return Flight(carrier=carrier, number=number, legs=legs, passengers=people)


# ---------------------------------------------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------------------------------------------


class _Writer:
    def __init__(self, una: bool, chars: str, newline: str):
        self.comp, self.elem, _decimal, self.esc, _, self.term = chars
        self.una, self.chars, self.newline = una, chars, newline
        self.segments: list[str] = []

    def escape(self, value) -> str:
        text = "" if value is None else str(value)
        for special in (self.esc, self.comp, self.elem, self.term):
            text = text.replace(special, self.esc + special)
        return text

    def add(self, tag: str, *elements) -> None:
        parts = [tag]
        for value in elements:
            if isinstance(value, (list, tuple)):
                parts.append(self.comp.join(self.escape(v) for v in value).rstrip(self.comp))
            else:
                parts.append(self.escape(value))
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        self.segments.append(self.elem.join(parts) + self.term)

    def text(self) -> str:
        head = f"UNA{self.chars}" + self.newline if self.una else ""
        return head + self.newline.join(self.segments) + self.newline


def _ymd(value) -> str:
    return value.strftime("%y%m%d") if value else ""


def write_paxlst(flights: list[Flight], *, una: bool = True, chars: str = ":+.? '", newline: str = "\n",
                 groups: bool = False, reference: str = "000000001", sender: str = "AIRLINE",
                 recipient: str = "CUSTOMS", prepared: datetime | None = None) -> str:
    """A PAXLST interchange: one passenger list and, when the flight has crew, one crew list per flight."""
    w = _Writer(una, chars, newline)
    prepared = prepared or datetime(2026, 1, 15, 6, 0)
    w.add("UNB", ["UNOA", "4"], sender, recipient, [prepared.strftime("%y%m%d"), prepared.strftime("%H%M")],
          reference)
    count = 0
    if groups:
        w.add("UNG", "PAXLST", sender, recipient, [prepared.strftime("%y%m%d"), prepared.strftime("%H%M")],
              "1", "UN", ["D", "05B"])
    for flight in flights:
        for role, code in (("passenger", "745"), ("crew", "250")):
            people = [p for p in flight.passengers if p.role == role]
            if role == "crew" and not people:
                continue
            count += 1
            start = len(w.segments)
            ref = f"PAX{count:03d}"
            w.add("UNH", ref, ["PAXLST", "D", "05B", "UN", "IATA"], f"{flight.carrier}{flight.number}")
            w.add("BGM", code)
            w.add("NAD", "MS", "", "", "OPERATIONS CONTROL")
            w.add("TDT", "20", f"{flight.carrier}{flight.number}", "", "", flight.carrier)
            for leg in flight.legs:
                w.add("LOC", "125", leg.origin)
                w.add("DTM", ["189", leg.departure_at.strftime("%y%m%d%H%M"), "201"])
                w.add("LOC", "87", leg.destination)
                w.add("DTM", ["232", leg.arrival_at.strftime("%y%m%d%H%M"), "201"])
            for p in people:
                w.add("NAD", "FL" if role == "passenger" else "FM", "", "", [p.surname, *p.given_names.split()])
                if p.sex:
                    w.add("ATT", "2", "", p.sex)
                if p.date_of_birth:
                    w.add("DTM", ["329", _ymd(p.date_of_birth)])
                if p.bag_count:
                    w.add("MEA", "CT", "", ["", p.bag_count])
                if p.bag_weight_kg:
                    w.add("MEA", "WT", "", ["KGM", p.bag_weight_kg])
                if p.bags:
                    w.add("FTX", "BAG", "", "", [p.bags[0].tag, len(p.bags)])
                w.add("LOC", "178", p.embarkation)
                w.add("LOC", "179", p.debarkation)
                if p.residence_country:
                    w.add("LOC", "174", p.residence_country)
                if p.nationality:
                    w.add("NAT", "2", p.nationality)
                if p.booking:
                    w.add("RFF", ["AVF", p.booking.locator])
                if p.seat:
                    w.add("RFF", ["SEA", p.seat])
                for doc in p.documents:
                    w.add("DOC", [doc.doc_type, "110", "111"], doc.number)
                    if doc.expiry_date:
                        w.add("DTM", ["36", _ymd(doc.expiry_date)])
                    if doc.issuing_country:
                        w.add("LOC", "91", doc.issuing_country)
            w.add("CNT", ["42" if role == "passenger" else "41", len(people)])
            w.add("UNT", len(w.segments) - start + 1, ref)
    if groups:
        w.add("UNE", count, "1")
    w.add("UNZ", 1 if groups else count, reference)
    return w.text()


def write_pnrgov(flights: list[Flight], *, una: bool = True, chars: str = ":+.? '", newline: str = "\n",
                 groups: bool = False, reference: str = "000000002", sender: str = "AIRLINE",
                 recipient: str = "CUSTOMS", prepared: datetime | None = None) -> str:
    """A PNRGOV interchange: one message per flight, one SRC group per booking."""
    w = _Writer(una, chars, newline)
    prepared = prepared or datetime(2026, 1, 15, 6, 0)
    w.add("UNB", ["UNOC", "4"], sender, recipient, [prepared.strftime("%y%m%d"), prepared.strftime("%H%M")],
          reference)
    if groups:
        w.add("UNG", "PNRGOV", sender, recipient, [prepared.strftime("%y%m%d"), prepared.strftime("%H%M")],
              "1", "IA", ["13", "1"])

    def tvl(leg: Leg, carrier: str, number: str) -> None:
        w.add("TVL", [leg.departure_at.strftime("%d%m%y"), leg.departure_at.strftime("%H%M"),
                      leg.arrival_at.strftime("%d%m%y"), leg.arrival_at.strftime("%H%M")],
              leg.origin, leg.destination, carrier, number)

    for index, flight in enumerate(flights, start=1):
        start = len(w.segments)
        ref = f"PNR{index:03d}"
        w.add("UNH", ref, ["PNRGOV", "13", "1", "IA"], f"{flight.carrier}{flight.number}")
        w.add("MSG", ["", "22"])
        w.add("ORG", flight.carrier, "")
        tvl(flight.legs[-1], flight.carrier, flight.number)
        bookings: dict[str, list[Passenger]] = {}
        for p in flight.passengers:
            if p.role == "passenger" and p.booking:
                bookings.setdefault(p.booking.locator, []).append(p)
        w.add("EQN", len(bookings))
        for locator, people in bookings.items():
            b = people[0].booking
            w.add("SRC")
            w.add("RCI", [flight.carrier, locator])
            if b.booked_at:
                w.add("DAT", ["700", b.booked_at.strftime("%d%m%y"), b.booked_at.strftime("%H%M")])
            if b.agency:
                w.add("ORG", "", b.agency)
            for i, p in enumerate(people, start=1):
                w.add("TIF", [p.surname, "I"], [p.given_names, "A", str(i)])
                doc = p.documents[0] if p.documents else None
                if doc:
                    text = "/".join(["", doc.doc_type, doc.issuing_country or "", doc.number, p.nationality or "",
                                     p.date_of_birth.strftime("%d%b%y").upper() if p.date_of_birth else "",
                                     p.sex or "",
                                     doc.expiry_date.strftime("%d%b%y").upper() if doc.expiry_date else "",
                                     p.surname, p.given_names])
                    w.add("SSR", ["DOCS", "HK", "1", flight.carrier, "", "", "", "", text])
                if p.bag_count:
                    tags = [flight.carrier, p.bags[0].tag, len(p.bags)] if p.bags else ""
                    w.add("TBD", "", [p.bag_count, p.bag_weight_kg or "", "700"], "", "", tags)
            if b.payment:
                w.add("FOP", b.payment)
            for leg in b.itinerary:
                tvl(leg, flight.carrier, flight.number)
        w.add("UNT", len(w.segments) - start + 1, ref)
    if groups:
        w.add("UNE", len(flights), "1")
    w.add("UNZ", 1 if groups else len(flights), reference)
    return w.text()
