"""Customs offices as reference data: the shipped list, an administrator's own file, and the refusals lodging gives."""

import pytest

from smartcustoms.reference.offices import OfficesFileError, load_offices, parse_offices
from smartcustoms.refusals import Kind, Refusal
from smartcustoms.world.catalogue import OFFICES


def test_the_shipped_list_holds_every_office_of_the_demo_world_with_its_modes():
    offices = load_offices()
    for mode, names in OFFICES.items():
        for office in names:
            assert office in offices and offices.get(office).clears(mode), (office, mode)
    assert "PORT-NORTH" in offices.remote()


def test_an_unknown_office_is_refused_on_its_field():
    offices = load_offices()
    refused = offices.refusal("NOWHERE", "1")
    assert isinstance(refused, Refusal) and refused.code == "office_unknown" and refused.field == "office_id"
    assert refused.kind is Kind.INVALID and refused.params == {"office_id": "NOWHERE"}
    with pytest.raises(Refusal) as caught:
        offices.check("NOWHERE")
    assert caught.value.code == "office_unknown"
    assert offices.refusal("PORT-NORTH", "1") is None


def test_a_mode_the_office_does_not_clear_and_an_inactive_office_are_refused(tmp_path):
    path = tmp_path / "offices.yaml"
    path.write_text("offices:\n  AIR1: {name: Air, transport: ['4']}\n  OLD1: {name: Old, active: false}\n")
    offices = load_offices(path)
    assert offices.refusal("AIR1", "4") is None
    by_sea = offices.refusal("AIR1", "1")
    assert by_sea.code == "office_transport_mode" and by_sea.field == "transport_mode" and by_sea.params["modes"] == ["4"]
    assert offices.refusal("OLD1").code == "office_inactive" and "OLD1" not in offices
    assert "PORT-NORTH" not in offices  # an administration's own list replaces the shipped one


def test_the_file_is_read_again_when_the_administrator_changes_it(tmp_path):
    import os

    path = tmp_path / "offices.yaml"
    path.write_text("offices:\n  A1: {name: A}\n")
    assert "B1" not in load_offices(path)
    path.write_text("offices:\n  A1: {name: A}\n  B1: {name: B}\n")
    os.utime(path, (1, 1))  # a different modification time, whatever the clock's resolution
    assert "B1" in load_offices(path)


@pytest.mark.parametrize("text, words", [
    ("offices: []", "expected a mapping 'offices'"),
    ("offices:\n  A1: {transport: ['6']}", "transport must list modes"),
    ("offices:\n  A1: {controls: [drone]}", "controls must be among"),
    ("offices:\n  A1: {colour: red}", "unknown key"),
    ("offices: [", "not YAML"),
])
def test_a_bad_file_is_refused_with_its_reason(text, words):
    with pytest.raises(OfficesFileError, match=words):
        parse_offices(text)
