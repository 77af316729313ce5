"""UN/EDIFACT PAXLST (D02B and later, WCO/IATA/ICAO API guidelines) and the core of PNRGOV (11.1 and later)
mapped into our models (:mod:`smartcustoms.passengers.models`).

PAXLST segments read: BGM (745 passenger list, 250 crew list), TDT (flight), LOC 125/87 + DTM 189/232 (legs,
several pairs for a multi-leg flight), NAD FL/DDU (passenger) or FM/DDT (crew), ATT (sex, kept as sent), DTM 329
(birth), MEA CT/WT (bag count and weight), LOC 178/179/22/174 (embarkation, debarkation, clearance, residence),
NAT, RFF AVF/SEA (PNR locator, seat), FTX BAG (bag tags), DOC + DTM 36 + LOC 91 (document, expiry, issuer),
CNT 42/41 (passenger/crew count, checked).

PNRGOV segments read: MSG, TVL (the flight reported, then each PNR's itinerary), EQN (number of PNRs, checked),
SRC (one PNR each), RCI (locator), DAT 700 (booked), TIF (traveller), SSR DOCS (document, birth, nationality),
SSR SEAT, TKT, FOP (payment), TBD (bags: count, weight, tags), ORG (agency).
"""

from datetime import date, datetime

from pydifact.segments import Segment

from smartcustoms.passengers.edifact import EdifactError, Interchange, Message, components, element, read_interchange
from smartcustoms.passengers.models import Bag, Booking, Flight, Leg, Manifest, Passenger, TravelDocument

PASSENGER_LIST, CREW_LIST = "745", "250"
PASSENGER_PARTIES, CREW_PARTIES = ("FL", "DDU"), ("FM", "DDT", "COT")
FORMATS = ("paxlst", "pnrgov")


def _date(value: str, position: int, tag: str, *, past: bool = True) -> date:
    """YYMMDD, CCYYMMDD or DDMMMYY (SSR DOCS) to a date; two-digit years pivot on today's (births in the past,
    expiries in this century)."""
    value = value.strip()
    try:
        if len(value) == 7 and value[2:5].isalpha():  # 12JUL64
            parsed = datetime.strptime(value.title(), "%d%b%y").date()
            year = parsed.year
        elif len(value) >= 8 and value[:8].isdigit():
            return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        elif len(value) >= 6 and value[:6].isdigit():
            parsed = date(2000 + int(value[:2]), int(value[2:4]), int(value[4:6]))
            year = parsed.year
        else:
            raise ValueError(value)
    except ValueError as exc:
        raise EdifactError(f"{value!r} is not a date (YYMMDD, CCYYMMDD or DDMMMYY)", position, tag) from exc
    if past and year > date.today().year:
        parsed = parsed.replace(year=year - 100)
    elif not past and year < 2000:
        parsed = parsed.replace(year=year + 100)
    return parsed


def _moment(value: str, position: int, tag: str, time: str = "") -> datetime:
    """YYMMDDHHMM or CCYYMMDDHHMM (PAXLST), or DDMMYY + HHMM (PNRGOV TVL)."""
    value = value.strip()
    try:
        if time or len(value) == 6:
            return datetime.strptime(value + (time or "0000"), "%d%m%y%H%M")
        if len(value) == 10:
            return datetime.strptime(value, "%y%m%d%H%M")
        if len(value) == 12:
            return datetime.strptime(value, "%Y%m%d%H%M")
        if len(value) == 8:
            return datetime.strptime(value, "%Y%m%d")
    except ValueError:
        pass
    raise EdifactError(f"{value!r} is not a date and time (YYMMDDHHMM or CCYYMMDDHHMM)", position, tag)


def _number(value: str, position: int, tag: str) -> float:
    try:
        return float(value.replace(",", "."))
    except ValueError as exc:
        raise EdifactError(f"{value!r} is not a number", position, tag) from exc


def _split_flight(journey: str, carrier: str) -> tuple[str, str]:
    journey = journey.replace(" ", "").upper()
    if carrier and journey.startswith(carrier.upper()):
        return carrier.upper(), journey[len(carrier):]
    if not carrier and len(journey) > 2:
        return journey[:2], journey[2:]
    return (carrier or journey[:2]).upper(), journey


def _bag_tags(first: str, count: str, position: int, tag: str) -> list[Bag]:
    """A run of consecutive licence-plate tags: the first and how many (FTX BAG, TBD)."""
    first = first.replace(" ", "").upper()
    n = int(count) if count.isdigit() else 1
    if n < 1 or n > 50:
        raise EdifactError(f"bag tag count {count!r} out of range (1-50)", position, tag)
    digits = len(first) - len(first.rstrip("0123456789"))
    if digits == 0:
        return [Bag(tag=first)]
    stem, serial = first[:-digits], int(first[-digits:])
    return [Bag(tag=f"{stem}{serial + i:0{digits}d}") for i in range(n)]


def _require(message: Message, tags: set[str], needed: list[str]) -> None:
    for tag in needed:
        if tag not in tags:
            raise EdifactError(f"mandatory segment {tag} is missing from {message.type} message "
                               f"{message.reference!r}", message.position, "UNH")


# ---------------------------------------------------------------------------------------------------------------
# PAXLST
# ---------------------------------------------------------------------------------------------------------------


def _paxlst_message(message: Message) -> Flight:
    _require(message, {s.tag for _, s in message.segments}, ["BGM", "TDT", "NAD"])
    role = "passenger"
    carrier = number = ""
    legs: list[Leg] = []
    passengers: list[Passenger] = []
    current: Passenger | None = None
    last_doc: TravelDocument | None = None
    declared: dict[str, tuple[int, int]] = {}
    in_passengers = False
    for position, segment in message.segments:
        tag = segment.tag
        if tag == "BGM":
            code = element(segment, 0, 0)
            if code == CREW_LIST:
                role = "crew"
            elif code != PASSENGER_LIST:
                raise EdifactError(f"BGM document code {code!r}: expected 745 (passenger list) or 250 (crew list)",
                                   position, tag)
        elif tag == "TDT":
            journey = element(segment, 1)
            if not journey:
                raise EdifactError("TDT needs the flight (journey identifier, element 2)", position, tag)
            carrier, number = _split_flight(journey, element(segment, 3, 0) or element(segment, 4, 0))
        elif tag == "NAD":
            party = element(segment, 0)
            if party in PASSENGER_PARTIES + CREW_PARTIES:
                in_passengers = True
                name = components(segment, 3)
                if not name[0]:
                    raise EdifactError("NAD needs the person's surname (element 4)", position, tag)
                current = Passenger(role="crew" if party in CREW_PARTIES or role == "crew" else "passenger",
                                    surname=name[0], given_names=" ".join(part for part in name[1:] if part))
                passengers.append(current)
                last_doc = None
        elif tag == "LOC":
            qualifier, place = element(segment, 0), element(segment, 1, 0).upper()
            if not in_passengers:
                if qualifier == "125":
                    legs.append(Leg(origin=place, destination=""))
                elif qualifier == "87":
                    if not legs or legs[-1].destination:
                        legs.append(Leg(origin=legs[-1].destination if legs else "", destination=place))
                    else:
                        legs[-1].destination = place
            elif current is not None:
                if qualifier == "91" and last_doc is not None:
                    last_doc.issuing_country = place[:3]
                elif qualifier == "178":
                    current.embarkation = place
                elif qualifier in ("179", "22"):
                    current.debarkation = current.debarkation if qualifier == "22" and current.debarkation else place
                elif qualifier == "174":
                    current.residence_country = place[:3]
        elif tag == "DTM":
            qualifier, value = element(segment, 0, 0), element(segment, 0, 1)
            if not in_passengers and legs:
                if qualifier == "189":
                    legs[-1].departure_at = _moment(value, position, tag)
                elif qualifier == "232":
                    legs[-1].arrival_at = _moment(value, position, tag)
            elif current is not None:
                if qualifier == "329":
                    current.date_of_birth = _date(value, position, tag)
                elif qualifier == "36" and last_doc is not None:
                    last_doc.expiry_date = _date(value, position, tag, past=False)
        elif current is not None and tag == "ATT" and element(segment, 0) == "2":
            current.sex = element(segment, 2, 0)[:1] or None
        elif current is not None and tag == "NAT":
            current.nationality = element(segment, 1, 0)[:3] or None
        elif current is not None and tag == "MEA":
            qualifier, value = element(segment, 0), components(segment, 2)
            if qualifier == "CT":
                current.bag_count = int(_number(value[-1], position, tag))
            elif qualifier == "WT":
                current.bag_weight_kg = _number(value[-1], position, tag)
        elif current is not None and tag == "RFF":
            qualifier, value = element(segment, 0, 0), element(segment, 0, 1)
            if qualifier == "AVF" and value:
                current.booking = Booking(locator=value)
            elif qualifier == "SEA":
                current.seat = value[:5] or None
        elif current is not None and tag == "FTX" and element(segment, 0) == "BAG":
            first, count = element(segment, 3, 0), element(segment, 3, 1)
            if first:
                current.bags.extend(_bag_tags(first, count, position, tag))
        elif current is not None and tag == "DOC":
            doc_number = element(segment, 1)
            if not doc_number:
                raise EdifactError("DOC needs the document number (element 2)", position, tag)
            last_doc = TravelDocument(doc_type=(element(segment, 0, 0) or "P")[:3], number=doc_number)
            current.documents.append(last_doc)
        elif tag == "CNT":
            qualifier, value = element(segment, 0, 0), element(segment, 0, 1)
            if value.isdigit():
                declared[qualifier] = (int(value), position)
    if not legs or any(not leg.origin or not leg.destination for leg in legs):
        raise EdifactError("the flight needs LOC+125 (departure) and LOC+87 (arrival) for each leg",
                           message.position, "UNH")
    for qualifier, wanted in (("42", "passenger"), ("41", "crew")):
        if qualifier in declared:
            count, position = declared[qualifier]
            found = sum(1 for p in passengers if p.role == wanted)
            if count != found:
                raise EdifactError(f"CNT+{qualifier} says {count} {wanted}(s) but the message lists {found}",
                                   position, "CNT")
    for passenger in passengers:
        if passenger.bags and passenger.bag_count is None:
            passenger.bag_count = len(passenger.bags)
    return Flight(carrier=carrier, number=number, legs=legs, passengers=passengers)


# ---------------------------------------------------------------------------------------------------------------
# PNRGOV
# ---------------------------------------------------------------------------------------------------------------


def _tvl(segment: Segment, position: int) -> tuple[str, str, Leg]:
    when = components(segment, 0)
    origin, destination = element(segment, 1, 0).upper(), element(segment, 2, 0).upper()
    carrier, number = element(segment, 3, 0).upper(), element(segment, 4, 0)
    if not (when[0] and origin and destination and carrier and number):
        raise EdifactError("TVL needs the date, departure, arrival, carrier and flight number", position, "TVL")
    departure = _moment(when[0], position, "TVL", when[1] if len(when) > 1 else "")
    arrival = None
    if len(when) > 2 and when[2]:
        arrival = _moment(when[2], position, "TVL", when[3] if len(when) > 3 else "")
    return carrier, number, Leg(origin=origin, destination=destination, departure_at=departure, arrival_at=arrival)


def _docs(text: str, passenger: Passenger, position: int) -> None:
    """SSR DOCS free text: /type/issuer/number/nationality/birth/sex/expiry/surname/given."""
    parts = [part.strip() for part in text.strip().lstrip("/").split("/")]
    parts += [""] * (9 - len(parts))
    doc_type, issuer, number, nationality, birth, sex, expiry = parts[:7]
    if number:
        passenger.documents.append(TravelDocument(
            doc_type=(doc_type or "P")[:3], number=number[:35], issuing_country=issuer[:3] or None,
            expiry_date=_date(expiry, position, "SSR", past=False) if expiry else None))
    if nationality:
        passenger.nationality = nationality[:3]
    if birth:
        passenger.date_of_birth = _date(birth, position, "SSR")
    if sex and not passenger.sex:
        passenger.sex = sex[:1]


def _pnrgov_message(message: Message) -> Flight:
    tags = {s.tag for _, s in message.segments}
    _require(message, tags, ["TVL", "SRC"])
    flight: tuple[str, str, Leg] | None = None
    pnrs: list[tuple[Booking, list[Passenger]]] = []
    booking: Booking | None = None
    travellers: list[Passenger] = []
    current: Passenger | None = None
    expected: tuple[int, int] | None = None
    for position, segment in message.segments:
        tag = segment.tag
        if tag == "TVL":
            if flight is None:
                flight = _tvl(segment, position)
            elif booking is not None:
                booking.itinerary.append(_tvl(segment, position)[2])
        elif tag == "EQN":
            value = element(segment, 0, 0)
            if value.isdigit():
                expected = (int(value), position)
        elif tag == "SRC":
            if flight is None:
                raise EdifactError("SRC before the flight's TVL", position, tag)
            booking, travellers, current = None, [], None
            pnrs.append((None, travellers))  # filled by RCI
        elif tag == "RCI":
            if not pnrs:
                raise EdifactError("RCI outside a PNR (no SRC before it)", position, tag)
            locator = element(segment, 0, 1) or element(segment, 0, 0)
            if not locator:
                raise EdifactError("RCI needs the record locator", position, tag)
            booking = Booking(locator=locator[:20])
            pnrs[-1] = (booking, travellers)
        elif booking is None:
            continue
        elif tag == "DAT":
            for part in segment.elements:
                value = part if isinstance(part, list) else [part]
                if value and value[0] == "700" and len(value) > 1 and value[1]:
                    booking.booked_at = _moment(value[1], position, tag, value[2] if len(value) > 2 else "")
        elif tag == "ORG":
            booking.agency = (element(segment, 1, 0) or element(segment, 0, 0))[:35] or None
        elif tag == "FOP":
            booking.payment = element(segment, 0, 0)[:10] or None
        elif tag == "TKT":
            booking.ticket_number = element(segment, 0, 0)[:20] or None
        elif tag == "TIF":
            surname, given = element(segment, 0, 0), element(segment, 1, 0)
            if not surname:
                raise EdifactError("TIF needs the traveller's surname", position, tag)
            for title in (" MR", " MRS", " MS", " MISS", " MSTR", " DR"):
                given = given.removesuffix(title)
            current = Passenger(surname=surname, given_names=given, booking=booking)
            travellers.append(current)
        elif tag == "SSR" and current is not None:
            code = element(segment, 0, 0)
            parts = components(segment, 0)
            text = next((part for part in reversed(parts) if part.count("/") >= 3), "")
            if code == "DOCS" and text:
                _docs(text, current, position)
            elif code == "SEAT" and len(parts) > 1:
                current.seat = next((part for part in parts[4:] if part), None)
        elif tag == "TBD" and current is not None:
            details = components(segment, 1)
            if details and details[0]:
                current.bag_count = int(_number(details[0], position, tag))
            if len(details) > 1 and details[1]:
                current.bag_weight_kg = _number(details[1], position, tag)
            tags_ = components(segment, 4)
            if len(tags_) > 1 and tags_[1]:
                current.bags.extend(_bag_tags(tags_[1], tags_[2] if len(tags_) > 2 else "1",
                                              position, tag))
    if flight is None:
        raise EdifactError("PNRGOV message without the flight's TVL", message.position, "UNH")
    for index, (found, _) in enumerate(pnrs):
        if found is None:
            raise EdifactError(f"PNR {index + 1} of message {message.reference!r} has no RCI (record locator)",
                               message.position, "UNH")
    if expected is not None and expected[0] != len(pnrs):
        raise EdifactError(f"EQN says {expected[0]} PNR(s) but the message holds {len(pnrs)}", expected[1], "EQN")
    carrier, number, leg = flight
    passengers = []
    for found, people in pnrs:
        found.travellers = max(1, len(people))
        passengers.extend(people)
    return Flight(carrier=carrier, number=number, legs=[leg], passengers=passengers)


# ---------------------------------------------------------------------------------------------------------------


def detect_format(interchange: Interchange) -> str:
    kinds = {message.type for message in interchange.messages}
    known = kinds & {"PAXLST", "PNRGOV"}
    if len(known) != 1 or kinds - known:
        raise EdifactError(f"message types {sorted(kinds)}: expected PAXLST or PNRGOV messages only",
                           interchange.messages[0].position, "UNH")
    return known.pop().lower()


def read_manifest(text: str, format: str | None = None) -> Manifest:
    """Read a PAXLST or PNRGOV interchange (format detected from UNH, or checked against ``format``)."""
    interchange = read_interchange(text)
    found = detect_format(interchange)
    if format is not None and format != found:
        raise EdifactError(f"--format {format} but the file holds {found.upper()} messages",
                           interchange.messages[0].position, "UNH")
    reader = _paxlst_message if found == "paxlst" else _pnrgov_message
    merged: dict[tuple, Flight] = {}
    for message in interchange.messages:
        flight = reader(message)
        key = (flight.carrier, flight.number, flight.departure_at)
        if key in merged:  # a passenger list and a crew list of the same flight, or a PNRGOV split in parts
            merged[key].passengers.extend(flight.passengers)
        else:
            merged[key] = flight
    return Manifest(format=found, sender=interchange.sender, reference=interchange.reference,
                    flights=list(merged.values()))
