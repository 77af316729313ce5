"""Reading PAXLST and PNRGOV: the guides' examples, the variants airlines send, and broken files."""

import random
from pathlib import Path

import pytest

from smartcustoms.passengers.edifact import EdifactError
from smartcustoms.passengers.generator import generate_flight, write_paxlst, write_pnrgov
from smartcustoms.passengers.paxlst import read_manifest

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_paxlst_guide_example_with_group_and_release_character():
    manifest = read_manifest(read("paxlst_guide.edi"))
    assert manifest.format == "paxlst" and manifest.reference == "000000001"
    (flight,) = manifest.flights
    assert (flight.carrier, flight.number, flight.origin, flight.destination) == ("UA", "123", "YVR", "JFK")
    doe, obrien = flight.passengers
    assert (doe.surname, doe.given_names, doe.nationality, doe.seat) == ("DOE", "JOHN WAYNE", "CAN", "23C")
    assert doe.date_of_birth.isoformat() == "1964-09-07" and doe.bag_count == 2 and doe.bag_weight_kg == 42
    assert [bag.tag for bag in doe.bags] == ["UA123456", "UA123457"]
    assert doe.documents[0].number == "MB140241" and doe.documents[0].issuing_country == "CAN"
    assert doe.booking.locator == "ABC123"
    assert obrien.surname == "O'BRIEN" and obrien.date_of_birth.isoformat() == "1971-11-30"


def test_crew_list_on_one_line_without_una():
    (flight,) = read_manifest(read("paxlst_crew_oneline.edi")).flights
    assert [(p.surname, p.role) for p in flight.passengers] == [("DUPONT", "crew")]


def test_multi_leg_custom_separators_leading_spaces_and_two_messages():
    (flight,) = read_manifest(read("paxlst_multileg_custom.edi")).flights
    assert [(leg.origin, leg.destination) for leg in flight.legs] == [("MUC", "FRA"), ("FRA", "CDG")]
    assert [p.surname for p in flight.passengers] == ["MUELLER", "SCHMIDT"]
    assert flight.passengers[0].documents[0].doc_type == "I"


def test_pnrgov_guide_example_several_pnrs():
    manifest = read_manifest(read("pnrgov_guide.edi"))
    (flight,) = manifest.flights
    assert manifest.format == "pnrgov" and (flight.carrier, flight.number) == ("LH", "1234")
    john, jane, ivan = flight.passengers
    assert john.given_names == "JOHN" and john.booking.locator == "ABC123" and john.booking.payment == "CC"
    assert john.bag_count == 2 and [b.tag for b in john.bags] == ["0220123456", "0220123457"]
    assert john.documents[0].expiry_date.isoformat() == "2029-08-23"
    assert jane.booking is john.booking and john.booking.travellers == 2
    assert [leg.destination for leg in john.booking.itinerary] == ["CDG", "FRA"]
    assert ivan.booking.payment == "CA" and ivan.nationality == "RUS"


@pytest.mark.parametrize("variant", [
    {}, {"una": False}, {"chars": "|*.? ~"}, {"newline": ""}, {"newline": "\r\n   "}, {"groups": True},
    {"groups": True, "una": False, "newline": ""},
])
def test_generated_interchanges_read_back(variant):
    flights = [generate_flight(random.Random(seed), passengers=12, crew=2) for seed in (1, 2)]
    flights[1] = flights[1].model_copy(update={"number": "7777"})
    for writer, people in ((write_paxlst, 14), (write_pnrgov, 12)):
        manifest = read_manifest(writer(flights, **variant))
        assert len(manifest.flights) == 2
        assert [len(f.passengers) for f in manifest.flights] == [people, people]
        first = manifest.flights[0].passengers[0]
        assert first.surname == flights[0].passengers[0].surname
        assert first.date_of_birth == flights[0].passengers[0].date_of_birth


def test_format_is_checked_against_the_messages():
    with pytest.raises(EdifactError, match="--format pnrgov"):
        read_manifest(read("paxlst_guide.edi"), "pnrgov")


@pytest.mark.parametrize("mutate, position, tag, words", [
    (lambda t: t.replace("UNA:+.? '", "UNA:+.? +"), 1, "UNA", "bad separators"),
    (lambda t: t.replace("UNA:+.? '", "UNA:+.? ~"), 1, "UNA", "no segment terminator"),
    (lambda t: t.replace("UNT+36+PAX001'\n", ""), 39, "UNE", "not closed by UNT"),
    (lambda t: t.split("CNT+42")[0], 37, "LOC", "not closed by UNT"),
    (lambda t: t.replace("TDT+20+UA123+++UA'\n", "").replace("UNT+36", "UNT+35"), 4, "UNH",
     "mandatory segment TDT"),
    (lambda t: t.replace("UNT+36", "UNT+30"), 39, "UNT", "segment count"),
    (lambda t: t.replace("CNT+42:2", "CNT+42:3"), 38, "CNT", "says 3 passenger"),
    (lambda t: t.replace("DTM+329:640907", "DTM+329:64X907"), 15, "DTM", "not a date"),
    (lambda t: t.replace("UNZ+1+000000001'", "UNZ+1+000000002'"), 41, "UNZ", "control reference"),
    (lambda t: t.replace("UNE+1+100'\n", ""), 40, "UNZ", "not closed by UNE"),
])
def test_broken_files_name_the_segment_and_reason(mutate, position, tag, words):
    with pytest.raises(EdifactError) as caught:
        read_manifest(mutate(read("paxlst_guide.edi")))
    assert (caught.value.position, caught.value.tag) == (position, tag), str(caught.value)
    assert words in str(caught.value)


def test_pnr_count_and_missing_locator_are_errors():
    with pytest.raises(EdifactError, match="EQN says 3"):
        read_manifest(read("pnrgov_guide.edi").replace("EQN+2'", "EQN+3'"))
    with pytest.raises(EdifactError, match="no RCI"):
        read_manifest(read("pnrgov_guide.edi").replace("RCI+LH:XYZ789'\n", "").replace("UNT+25", "UNT+24"))


def test_not_edifact_and_empty():
    with pytest.raises(EdifactError, match="expected UNA or UNB"):
        read_manifest("id,surname\n1,DOE\n")
    with pytest.raises(EdifactError, match="empty"):
        read_manifest("  \n")
