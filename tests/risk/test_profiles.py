"""Risk profiles as data: parsing with line-accurate errors, and vectorised evaluation (no database)."""

import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartcustoms.risk.profiles import (
    HIT_COLUMNS,
    Criterion,
    Profile,
    ProfileError,
    Suppression,
    evaluate,
    load_profile_dir,
    parse_profiles,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "profiles"

STEEL = """\
profile_id: P-STEEL-AD
title: Flat steel from transshipment origins
purpose: Anti-dumping duty on Chinese steel is dodged by a false origin.
owner: Trade defence unit
lane: red
weight: 70
criteria:
  - field: commodity_code
    prefix: ["7208", "7210"]
  - field: origin_country
    in: [MY, TH]
"""


def profile(profile_id: str = "P-TEST", *criteria: dict, **fields) -> Profile:
    """A valid profile with the given criteria (default: everything whose code starts with 72)."""
    return Profile.model_validate({
        "profile_id": profile_id, "title": "test", "purpose": "testing", "owner": "tests", "lane": "yellow",
        "weight": 50, "criteria": list(criteria) or [{"field": "commodity_code", "prefix": ["72"]}], **fields,
    })


def frame() -> pd.DataFrame:
    """Five goods items with the columns the criteria below look at; the index is not a RangeIndex."""
    return pd.DataFrame({
        "declaration_id": ["D1", "D2", "D3", "D4", "D5"],
        "acceptance_datetime": pd.to_datetime(["2025-01-10 09:00", "2025-02-01 12:00", "2025-02-28 23:59",
                                               "2025-03-01 00:00", "2025-06-15 08:00"]),
        "importer_id": ["IMP1", "IMP2", "IMP1", "IMP3", "IMP2"],
        "transport_mode": ["1", "4", "1", "3", "1"],
        "commodity_code": ["72085120", "72104900", "61091000", "64041100", "07031019"],
        "goods_description": ["HR plate", "GI COIL Z275", "crew neck tee", "sneakers", "fresh garlic"],
        "origin_country": ["MY", "CN", "BD", "NO", "CN"],
        "preference_claim": [None, "", "GSP-EBA", "EU-EEA", None],
        "quantity": [60000.0, 40000.0, 1000.0, 800.0, 24000.0],
        "net_mass": [60000.0, 40000.0, 180.0, 640.0, 24000.0],
        "gross_mass": [61000.0, 41000.0, 400.0, 700.0, 25000.0],
        "customs_value": [30000.0, 34000.0, 900.0, 7000.0, 8400.0],
        "duty_rate": [25.0, 22.0, 0.0, 16.9, 9.6],
    }, index=[10, 11, 12, 13, 14])


def hit_rows(criterion: dict, data: pd.DataFrame | None = None) -> list[int]:
    hits = evaluate([profile("P-TEST", criterion)], frame() if data is None else data)
    return hits["row"].tolist()


# --- parsing ----------------------------------------------------------------------------------------------------


def test_one_profile_parses_and_reads_back_from_its_own_yaml():
    (steel,) = parse_profiles(STEEL, "steel.yaml")
    assert (steel.profile_id, steel.version, steel.lane, steel.weight, steel.mode) == ("P-STEEL-AD", None, "red",
                                                                                     70.0, "active")
    assert steel.describe() == "commodity_code starts with 7208 or 7210; origin_country in [MY, TH]"
    assert parse_profiles(steel.to_yaml(), "again.yaml") == [steel]


def test_a_list_of_profiles_and_yaml_pitfalls_norway_and_leading_zeros_stay_text():
    text = """\
- profile_id: P-A
  title: a
  purpose: onions that are garlic
  owner: o
  lane: yellow
  weight: 10
  criteria:
    - {field: commodity_code, prefix: [0703, 7208]}
    - {field: origin_country, in: [NO, CN]}
- profile_id: P-B
  title: b
  purpose: p
  owner: o
  lane: blue
  weight: 0
  mode: shadow
  valid_from: 2025-01-01
  valid_to: 2025-12-31
  criteria:
    - {field: transport_mode, equals: 4}
"""
    a, b = parse_profiles(text, "two.yaml")
    assert a.criteria[0].value == ("0703", "7208") and a.criteria[1].value == ("NO", "CN")
    assert b.shadow and b.criteria[0].value == "4"
    assert (b.valid_from, b.valid_to) == (date(2025, 1, 1), date(2025, 12, 31))


def test_the_example_profiles_of_the_synthetic_world_are_valid():
    profiles = load_profile_dir(EXAMPLES)
    assert 8 <= len(profiles) <= 12
    assert {p.lane for p in profiles} == {"yellow", "red", "blue"}
    assert [p.profile_id for p in profiles if p.shadow] == ["P-CYCLE-ROUTE"]
    assert all(len(p.purpose) > 80 for p in profiles)


def error(text: str, source: str = "profiles/steel.yaml") -> ProfileError:
    with pytest.raises(ProfileError) as caught:
        parse_profiles(text, source)
    return caught.value


def test_unknown_field_names_the_file_line_and_the_known_fields():
    exc = error(STEEL.replace("field: origin_country", "field: orign_country"))
    assert exc.line == 10
    assert str(exc).startswith("profiles/steel.yaml line 10: unknown field 'orign_country' (known: declaration_id,")
    assert "value_per_kg" in str(exc) and "new_importer" in str(exc)


def test_operator_that_does_not_fit_the_field_type_points_at_the_operator():
    exc = error(STEEL.replace("    in: [MY, TH]", "    min: 5"))
    assert (exc.line, exc.reason) == (11, "operator 'min' does not fit text field 'origin_country' (use one of: "
                                          "prefix, contains, in, not_in, equals, present)")
    exc = error(STEEL + "  - field: customs_value\n    prefix: ['1']\n")
    assert exc.line == 13 and "operator 'prefix' does not fit number field 'customs_value'" in exc.reason


@pytest.mark.parametrize(("criterion", "line", "reason"), [
    ("  - field: origin_country\n    startswith: [C]\n", 13, "unknown operator 'startswith' on field 'origin_country'"),
    ("  - field: duty_rate\n    min: 1\n    max: 2\n", 13, "criterion on 'duty_rate' needs exactly one operator"),
    ("  - field: duty_rate\n    between: [5, 1]\n", 13, "'between' on 'duty_rate': min 5 is above max 1"),
    ("  - field: origin_country\n    in: [CHN]\n", 13, "unknown ISO 3166 country code 'CHN'"),
    ("  - field: commodity_code\n    prefix: [72AB]\n", 13, "commodity code prefix must be 2 to 10 digits"),
    ("  - field: transport_mode\n    in: [6]\n", 13, "'6' is not a valid transport_mode"),
    ("  - field: new_importer\n    equals: maybe\n", 13, "'equals' on 'new_importer' takes true or false"),
    ("  - in: [CN]\n", 12, "criterion has no 'field'"),
])
def test_each_bad_criterion_is_refused_with_its_line(criterion, line, reason):
    exc = error(STEEL + criterion)
    assert exc.line == line and reason in exc.reason, str(exc)


def test_missing_or_empty_purpose_is_refused():
    exc = error(STEEL.replace("purpose: Anti-dumping duty on Chinese steel is dodged by a false origin.\n", ""))
    assert (exc.line, exc.reason) == (1, "'purpose' is missing: say what risk this profile targets and why")
    exc = error(STEEL.replace("Anti-dumping duty on Chinese steel is dodged by a false origin.", '"   "'))
    assert exc.line == 3 and "purpose must not be empty" in exc.reason


def test_yaml_syntax_error_gives_the_line():
    exc = error(STEEL.replace("in: [MY, TH]", "in: [MY, TH"))
    assert exc.line == 12 and exc.reason.startswith("YAML syntax: expected ',' or ']'")


def test_unknown_key_version_key_duplicates_and_every_problem_at_once():
    text = STEEL.replace("weight: 70", "wieght: 70\nversion: 3\nlane: red")
    exc = error(text + "---\n" + STEEL)
    reasons = [(p.line, p.reason.split(" (")[0]) for p in exc.problems]
    assert (6, "unknown key 'wieght'") in reasons
    assert (7, "'version' is set when the profile is committed: remove it") in reasons
    assert (8, "key 'lane' appears twice") in reasons
    exc = error(STEEL + "---\n" + STEEL)
    assert (exc.line, exc.reason) == (13, "profile_id 'P-STEEL-AD' is already defined on line 1")


def test_bad_values_of_top_level_keys():
    assert "lane: Input should be 'yellow', 'red' or 'blue'" in str(error(STEEL.replace("lane: red", "lane: green")))
    assert error(STEEL.replace("weight: 70", "weight: 170")).line == 6
    exc = error(STEEL + "valid_from: 2025-06-01\nvalid_to: 2025-01-01\n")
    assert "valid_to 2025-01-01 is before valid_from 2025-06-01" in exc.reason
    assert "'criteria' is empty" in error(STEEL.split("criteria:")[0] + "criteria: []\n").reason
    assert error("just text", "x.yaml").reason == "expected a profile (a mapping) or a list of profiles"
    assert error("", "x.yaml").reason == "no profile found"


def test_load_profile_dir_refuses_an_id_defined_in_two_files(tmp_path):
    (tmp_path / "a.yaml").write_text(STEEL)
    (tmp_path / "b.yml").write_text(STEEL)
    (tmp_path / "notes.txt").write_text("not a profile")
    with pytest.raises(ProfileError, match="b.yml: profile_id 'P-STEEL-AD' is already defined in .*a.yaml"):
        load_profile_dir(tmp_path)
    (tmp_path / "b.yml").unlink()
    assert [p.profile_id for p in load_profile_dir(tmp_path)] == ["P-STEEL-AD"]


# --- evaluation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("criterion", "rows"), [
    ({"field": "commodity_code", "prefix": ["72", "0703"]}, [10, 11, 14]),
    ({"field": "goods_description", "contains": ["coil", "GARLIC"]}, [11, 14]),
    ({"field": "origin_country", "in": ["CN", "NO"]}, [11, 13, 14]),
    ({"field": "origin_country", "not_in": ["CN"]}, [10, 12, 13]),
    ({"field": "preference_claim", "not_in": ["GSP-EBA"]}, [10, 11, 13, 14]),  # empty is "not in"
    ({"field": "preference_claim", "in": ["GSP-EBA", "EU-EEA"]}, [12, 13]),
    ({"field": "preference_claim", "present": True}, [12, 13]),
    ({"field": "preference_claim", "present": False}, [10, 11, 14]),
    ({"field": "transport_mode", "equals": "1"}, [10, 12, 14]),
    ({"field": "duty_rate", "equals": 22}, [11]),
    ({"field": "duty_rate", "in": [0, 9.6]}, [12, 14]),
    ({"field": "duty_rate", "between": [9.6, 22]}, [11, 13, 14]),
    ({"field": "customs_value", "min": 8400}, [10, 11, 14]),
    ({"field": "customs_value", "max": 900}, [12]),
    ({"field": "gross_mass", "max": 700}, [12, 13]),
    ({"field": "unit_value", "max": 0.6}, [10, 14]),  # customs_value / quantity: 0.5, 0.85, 0.9, 8.75, 0.35
    ({"field": "value_per_kg", "min": 5}, [12, 13]),  # customs_value / net_mass: 0.5, 0.85, 5.0, 10.9, 0.35
    ({"field": "mass_ratio", "min": 1.25}, [12]),  # 400 / 180
    ({"field": "acceptance_datetime", "between": ["2025-02-01", "2025-03-01"]}, [11, 12, 13]),
    ({"field": "new_importer", "equals": True}, []),  # the trader screen did not run: no column, no hit
])
def test_each_operator_selects_the_right_rows(criterion, rows):
    assert hit_rows(criterion) == rows


def test_new_importer_from_the_trader_screen_and_missing_values():
    data = frame().assign(new_importer=[True, False, None, True, False])
    assert hit_rows({"field": "new_importer", "equals": True}, data) == [10, 13]
    assert hit_rows({"field": "new_importer", "equals": False}, data) == [11, 14]


def test_new_importer_given_beside_the_frame_hits_as_a_column_of_it():
    flags = np.array([True, False, False, True, False])
    for equals in (True, False):
        p = profile("P-TEST", {"field": "new_importer", "equals": equals})
        beside = evaluate([p], frame(), extra={"new_importer": flags})  # as risk.assess gives it: an array
        pd.testing.assert_frame_equal(beside, evaluate([p], frame().assign(new_importer=flags)))
        assert beside["row"].tolist() == ([10, 13] if equals else [11, 12, 14])


def test_all_criteria_must_hold_and_the_output_says_what_matched():
    p = profile("P-STEEL-AD", {"field": "commodity_code", "prefix": ["7208"]},
                {"field": "origin_country", "in": ["CN", "MY"]}, lane="red", weight=70).model_copy(
        update={"version": 3})
    hits = evaluate([p], frame())
    assert list(hits.columns) == HIT_COLUMNS
    assert hits.to_dict("records") == [{
        "row": 10, "profile_id": "P-STEEL-AD", "version": 3, "lane": "red", "weight": 70.0, "force": False,
        "shadow": False,
        "suppressed": False, "selects": True, "matched": "commodity_code starts with 7208; origin_country in [CN, MY]",
    }]


def test_validity_period_is_checked_against_each_rows_acceptance_date():
    everything = {"field": "origin_country", "present": True}
    p = profile("P-FEB", everything, valid_from="2025-02-01", valid_to="2025-02-28")
    assert evaluate([p], frame())["row"].tolist() == [11, 12]  # 2025-02-28 23:59 is still valid, 03-01 is not
    assert evaluate([profile("P-JAN", everything, valid_to="2025-01-31")], frame())["row"].tolist() == [10]


def test_shadow_hits_are_reported_but_select_nothing():
    hits = evaluate([profile("P-ACTIVE"), profile("P-SHADOW", mode="shadow")], frame())
    by_profile = hits.groupby("profile_id")
    assert by_profile["row"].apply(list).to_dict() == {"P-ACTIVE": [10, 11], "P-SHADOW": [10, 11]}
    assert by_profile["shadow"].all().to_dict() == {"P-ACTIVE": False, "P-SHADOW": True}
    assert by_profile["selects"].any().to_dict() == {"P-ACTIVE": True, "P-SHADOW": False}


def suppression(**fields) -> Suppression:
    return Suppression.model_validate({"profile_id": "P-TEST", "reason": "false alarms", "created_by": "carol",
                                       "expires_at": datetime(2025, 3, 1), **fields})


def test_suppression_for_a_trader_keeps_the_hit_but_stops_it_selecting_until_it_expires():
    p = profile("P-TEST", {"field": "origin_country", "present": True})
    hits = evaluate([p], frame(), [suppression(importer_id="IMP1"), suppression(importer_id="IMP2",
                                                                                profile_id="P-OTHER")])
    assert hits["row"].tolist() == [10, 11, 12, 13, 14]
    assert hits["suppressed"].tolist() == [True, False, True, False, False]
    assert hits["selects"].tolist() == [False, True, False, True, True]
    late = evaluate([p], frame(), [suppression(importer_id="IMP1", expires_at=datetime(2025, 2, 1))])
    assert late["suppressed"].tolist() == [True, False, False, False, False]  # row 12 comes after expiry


def test_suppression_for_a_commodity_and_the_moment_of_decision():
    p = profile("P-TEST", {"field": "origin_country", "present": True})
    s = suppression(commodity_prefix="7210", created_at=datetime(2025, 1, 15))
    assert evaluate([p], frame(), [s])["suppressed"].tolist() == [False, True, False, False, False]
    # decided on 2025-01-20, every row sees the suppression in force; on 2025-03-01 it has expired
    assert evaluate([p], frame(), [s], on=date(2025, 1, 20))["suppressed"].sum() == 1
    assert not evaluate([p], frame(), [s], on=datetime(2025, 3, 1))["suppressed"].any()


def test_suppression_names_one_target_and_a_reason():
    with pytest.raises(ValueError, match="either one importer_id or one commodity_prefix"):
        suppression(importer_id="IMP1", commodity_prefix="72")
    with pytest.raises(ValueError, match="either one importer_id or one commodity_prefix"):
        suppression()
    with pytest.raises(ValueError, match="reason"):
        suppression(importer_id="IMP1", reason="")


def test_no_hits_and_no_acceptance_time():
    empty = evaluate([profile("P-NONE", {"field": "origin_country", "in": ["JP"]})], frame())
    assert list(empty.columns) == HIT_COLUMNS and empty.empty
    undated = frame().drop(columns="acceptance_datetime")
    assert evaluate([profile()], undated)["row"].tolist() == [10, 11]
    with pytest.raises(ValueError, match="pass on="):
        evaluate([profile(valid_from="2025-01-01")], undated)
    assert evaluate([profile(valid_from="2025-01-01")], undated, on=date(2025, 5, 1))["row"].tolist() == [10, 11]


def test_criterion_forms_and_text():
    c = Criterion.model_validate({"field": "value_per_kg", "op": "between", "value": [0, 2.5]})
    assert c == Criterion.model_validate({"field": "value_per_kg", "between": [0, 2.5]})
    assert c.model_dump() == {"field": "value_per_kg", "between": [0.0, 2.5]}
    assert c.describe() == "value_per_kg between 0 and 2.5"
    assert Criterion.model_validate({"field": "customs_value", "min": 100000}).describe() == "customs_value >= 100,000"
    assert Criterion.model_validate({"field": "new_importer", "equals": True}).describe() == "new_importer is yes"


def test_a_million_rows_and_twenty_profiles_take_seconds_not_minutes():
    n = 1_000_000
    rng = np.random.default_rng(7)
    codes = np.array(["72085120", "61091000", "64041100", "85414300", "07031019", "24022090"])
    data = pd.DataFrame({
        "acceptance_datetime": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        "importer_id": pd.Series(rng.integers(0, 50_000, n)).map("IMP{:06d}".format),
        "commodity_code": codes[rng.integers(0, len(codes), n)],
        "origin_country": np.array(["CN", "MY", "TH", "VN", "TR"])[rng.integers(0, 5, n)],
        "customs_value": rng.lognormal(8, 1, n), "net_mass": rng.lognormal(6, 1, n),
        "quantity": rng.lognormal(6, 1, n), "duty_rate": rng.choice([0.0, 4.5, 12.0, 57.6], n),
    })
    profiles = [profile(f"P-{i}", {"field": "commodity_code", "prefix": [codes[i % 6][:4]]},
                        {"field": "origin_country", "in": ["MY", "TH"]}, {"field": "value_per_kg", "max": 5.0 + i},
                        valid_from="2025-02-01") for i in range(20)]
    started = time.perf_counter()
    hits = evaluate(profiles, data, [suppression(profile_id="P-0", importer_id="IMP000001")])
    elapsed = time.perf_counter() - started
    assert len(hits) > 10_000
    assert elapsed < 10, f"{elapsed:.1f} s"


def test_force_needs_the_red_lane_and_shows_in_the_hits():
    forced = profile("P-PROHIBITED", {"field": "commodity_code", "prefix": ["7208"]}, lane="red", weight=90)
    forced = forced.model_copy(update={"force": True})
    assert evaluate([forced], frame())["force"].tolist() == [True]
    with pytest.raises(ValueError, match="force: true needs lane: red"):
        Profile.model_validate({**forced.model_dump(), "lane": "yellow"})
