"""Selectivity on hand-made risk signals: the ladder, capacity, random controls, explanations."""

import json

import numpy as np
import pandas as pd
import pytest

from smartcustoms.risk.selectivity import LaneCapacity, SelectivitySettings, combined_score, explanation, select


def signals(n: int, valuation=0.0, office="A", profile_lane="green", profile_weight=0.0, force=False, start=0):
    frame = pd.DataFrame({
        "declaration_id": [f"D{start + i:05d}" for i in range(n)],
        "office_id": office, "transport_mode": "1",
        "acceptance_datetime": pd.Timestamp("2025-05-01 10:00"),
        "valuation_score": valuation, "valuation_duty_at_risk": 100.0, "valuation_reason": "",
        "valuation_not_checked": "",
        "profile_lane": profile_lane, "profile_weight": profile_weight, "profile_force": force, "profile_key": "",
        "profile_red_weight": profile_weight if profile_lane == "red" else 0.0,
    })
    frame["profile_key"] = np.where(frame["profile_lane"].ne("green"), "P1", "")
    frame["profiles"] = [[] for _ in range(n)]
    return frame


NO_RANDOM = {"random_rate": 0.01, "random_strata": ["office_id"]}


def test_thresholds_give_lanes_and_profiles_can_raise_them():
    frame = pd.concat([signals(1, 0.95), signals(1, 0.7, start=1), signals(1, 0.4, start=2),
                       signals(1, 0.1, start=3), signals(1, 0.1, profile_lane="yellow", start=4)], ignore_index=True)
    out = select(frame, SelectivitySettings(weights={"valuation": 1.0}, **NO_RANDOM))
    out = out[~out["random"]]
    assert out.set_index("declaration_id")["lane"].to_dict() == {
        "D00000": "red", "D00001": "yellow", "D00002": "blue", "D00003": "green", "D00004": "yellow"}
    assert out.set_index("declaration_id").loc["D00004", "source"] == "profile"


def test_a_score_on_a_threshold_takes_its_lane():
    scores = [0.0, 0.35, 0.5999, 0.6, 0.85, 1.0]
    frame = pd.concat([signals(1, score, start=i) for i, score in enumerate(scores)], ignore_index=True)
    out = select(frame, SelectivitySettings(weights={"valuation": 1.0}, **NO_RANDOM))
    assert not out["random"].any()  # (none drawn: these IDs hash above 1 %)
    assert out["lane"].tolist() == ["green", "blue", "blue", "yellow", "red", "red"]


def test_capacity_keeps_the_riskiest_and_moves_the_rest_down():
    frame = signals(5, valuation=[0.90, 0.99, 0.95, 0.86, 0.97])
    settings = SelectivitySettings(weights={"valuation": 1.0}, capacity={"A": LaneCapacity(red=2, yellow=1)},
                                   **NO_RANDOM)
    out = select(frame, settings).set_index("declaration_id")
    assert sorted(out.index[out["lane"] == "red"]) == ["D00001", "D00004"]
    assert list(out.index[out["lane"] == "yellow"]) == ["D00002"]
    assert sorted(out.index[out["lane"] == "blue"]) == ["D00000", "D00003"]
    assert out.loc["D00002", "capacity_note"].startswith("red capacity of the office for the day used up")


def test_capacity_is_per_office_and_day_and_forced_red_ignores_it():
    other_office = signals(2, 0.99, office="B", start=10)
    next_day = signals(2, 0.99, start=20).assign(acceptance_datetime=pd.Timestamp("2025-05-02 08:00"))
    forced = signals(3, 0.0, profile_lane="red", profile_weight=100, start=30)
    frame = pd.concat([signals(2, 0.99), other_office, next_day, forced], ignore_index=True)
    settings = SelectivitySettings(weights={"valuation": 1.0}, default_capacity=LaneCapacity(red=1), **NO_RANDOM)
    out = select(frame, settings)
    red = out[out["lane"] == "red"]
    assert set(red["declaration_id"]) >= {"D00030", "D00031", "D00032"}  # forced, over capacity
    assert red[~red["forced"]].groupby([red["office_id"], red["acceptance_datetime"].dt.date]).size().max() == 1
    assert len(red[~red["forced"]]) == 3  # one per office and day


def test_random_control_share_per_stratum_flagged_and_reproducible():
    offices = [signals(2500, 0.0, office=o, start=k * 10_000) for k, o in enumerate("ABCD")]
    frame = pd.concat(offices, ignore_index=True)
    settings = SelectivitySettings(random_rate=0.03, random_rates={"D": 0.05}, random_strata=["office_id"], seed=7)
    out = select(frame, settings)
    share = out.groupby("office_id")["random"].mean()
    assert (share[["A", "B", "C"]] - 0.03).abs().max() < 0.011  # 3 standard deviations at n = 2,500
    assert abs(share["D"] - 0.05) < 0.014
    chosen = out[out["random"]]
    assert (chosen["lane"] == "red").all() and (chosen["source"] == "random").all()
    assert select(frame, settings)["random"].equals(out["random"])
    assert not select(frame, settings.model_copy(update={"seed": 8}))["random"].equals(out["random"])


def test_a_declaration_draws_the_same_alone_or_in_a_batch():
    frame = signals(3000, 0.0)
    settings = SelectivitySettings(random_rate=0.05)
    batch = select(frame, settings)
    picked = batch.index[batch["random"]][:5]
    alone = [bool(select(frame.iloc[[i]], settings)["random"].iloc[0]) for i in picked]
    assert alone == [True] * len(picked)


def test_the_draw_is_the_hash_of_the_id_alone_or_among_others():
    from smartcustoms.risk.selectivity import uniform_draw

    ids = [f"D{i:05d}" for i in range(300)] + ["", "é-1", "D00001"]  # the hash with pandas' default (categorize)
    expected = pd.util.hash_array(np.array(ids, dtype=object), hash_key="0000000000000007") / np.float64(2**64)
    np.testing.assert_array_equal(uniform_draw(pd.Series(ids), 7), expected)
    np.testing.assert_array_equal([uniform_draw(np.array([i], dtype=object), 7)[0] for i in ids], expected)
    assert uniform_draw(pd.Series([1, 2]), 7).tolist() == uniform_draw(pd.Series(["1", "2"]), 7).tolist()
    with_missing = pd.Series(["D1", None] * 40, dtype=object)  # (never an ID: drawn as before all the same)
    text = with_missing.astype(str).to_numpy()
    np.testing.assert_array_equal(uniform_draw(with_missing, 7),
                                  pd.util.hash_array(text, hash_key="0000000000000007") / np.float64(2**64))


def test_random_controls_only_come_from_unselected_declarations():
    frame = pd.concat([signals(500, 0.99), signals(500, 0.0, start=500)], ignore_index=True)
    out = select(frame, SelectivitySettings(weights={"valuation": 1.0}, random_rate=0.05, random_strata=[]))
    assert out.loc[out["random"], "declaration_id"].str[1:].astype(int).min() >= 500
    assert 10 <= out["random"].sum() <= 45


def test_random_controls_carry_no_capacity_note_and_unknown_settings_are_refused():
    frame = signals(400, valuation=0.7)
    settings = SelectivitySettings(weights={"valuation": 1.0}, default_capacity=LaneCapacity(yellow=0),
                                   random_rate=0.05)
    out = select(frame, settings)
    assert out.loc[out["random"], "capacity_note"].eq("").all()
    assert out.loc[~out["random"], "capacity_note"].str.contains("yellow capacity").all()
    with pytest.raises(ValueError, match="red_treshold"):
        SelectivitySettings(red_treshold=0.9)
    with pytest.raises(ValueError):
        LaneCapacity(red=-1)


def test_max_hits_without_selection_selects_every_nth_missed_hit():
    frame = signals(9, 0.0, profile_lane="yellow")
    settings = SelectivitySettings(weights={"valuation": 1.0}, default_capacity=LaneCapacity(yellow=0),
                                   max_hits_without_selection=2, **NO_RANDOM)
    out = select(frame, settings)
    assert out.loc[~out["random"], "lane"].eq("yellow").sum() == 3  # hits 3, 6 and 9


def test_combined_score_is_a_noisy_or_with_shares():
    frame = pd.DataFrame({"valuation_score": [0.5, np.nan, 0.0], "origin_score": [0.5, 0.4, 0.0]})
    score, shares = combined_score(frame, {"valuation": 1.0, "origin": 1.0})
    assert score.round(4).tolist() == [0.75, 0.4, 0.0]
    assert [shares["valuation"][0], shares["origin"][0]] == [0.5, 0.5]
    assert [shares["valuation"][1], shares["origin"][1]] == [0.0, 1.0]
    with pytest.raises(ValueError):
        SelectivitySettings(random_rate=0.2)


def test_explanation_lists_scores_profiles_and_checks_that_could_not_run():
    frame = signals(1, 0.9)
    frame.loc[0, "valuation_reason"] = "declared unit value below P10: reason to doubt the declared value"
    frame["origin_score"] = np.nan
    frame["origin_duty_at_risk"] = 0.0
    frame["origin_reason"] = ""
    frame["origin_not_checked"] = "not checked: origin switch (missing importer_id)"
    frame.at[0, "profiles"] = [{"id": "P-X", "version": 2, "lane": "yellow", "matched": "origin_country in [CN]"}]
    out = select(frame, SelectivitySettings(weights={"valuation": 1.0, "origin": 1.0}, **NO_RANDOM))
    data = json.loads(explanation(out.iloc[0].to_dict(), ["valuation", "origin"]))
    assert data["lane"] == "red" and data["random"] is False
    assert data["scores"]["valuation"]["share"] == 1.0 and "origin" not in data["scores"]
    assert data["profiles"][0]["id"] == "P-X"
    assert data["not_checked"] == ["not checked: origin switch (missing importer_id)"]
    assert "not_checked_reasons" not in data  # no codes recorded: the English notes only

    note = {"code": "origin.not_checked.missing", "params": {"check": "switch", "fields": ["importer_id"]}}
    row = {**out.iloc[0].to_dict(), "origin_not_checked_codes": [note], "valuation_not_checked_codes": None}
    assert json.loads(explanation(row, ["valuation", "origin"]))["not_checked_reasons"] == [note]
    # a screen whose notes have no codes (an older screen): the page shows the English notes of all
    row["valuation_not_checked"] = "not checked: unit value (fewer than 20 comparable imports)"
    assert "not_checked_reasons" not in json.loads(explanation(row, ["valuation", "origin"]))


def test_source_is_model_when_the_model_gives_the_largest_share():
    frame = signals(4, valuation=[0.9, 0.3, 0.0, 0.5])
    frame = frame.assign(model_score=[0.2, 0.9, 0.95, 0.5], model_duty_at_risk=50.0, model_reason="",
                         model_not_checked="")
    frame.loc[3, ["profile_lane", "profile_weight", "profile_key"]] = ["red", 50.0, "P1"]
    settings = SelectivitySettings(weights={"valuation": 1.0, "model": 1.0}, **NO_RANDOM)
    out = select(frame, settings).set_index("declaration_id")
    assert out.loc["D00000", "source"] == "screen"  # valuation leads
    assert out.loc["D00001", "source"] == "model"
    assert out.loc["D00002", "source"] == "model"  # the model alone
    assert out.loc["D00003", "source"] == "profile"  # a profile's lane stays the profile's
    assert out.loc["D00001", "model_share"] > out.loc["D00001", "valuation_share"]
    # without the model's score the same declaration is the screens'
    plain = select(frame.drop(columns=["model_score"]), settings).set_index("declaration_id")
    assert plain.loc["D00001", "source"] in ("screen", "none")


def test_the_capacity_note_carries_its_code_and_lanes():
    frame = signals(3, valuation=[0.90, 0.99, 0.95])
    settings = SelectivitySettings(weights={"valuation": 1.0}, capacity={"A": LaneCapacity(red=1)}, **NO_RANDOM)
    out = select(frame, settings)
    moved = out[out["capacity_note"] != ""]
    assert len(moved) == 2
    data = json.loads(explanation(moved.iloc[0].to_dict(), ["valuation"]))
    assert data["capacity_reason"] == {"code": "capacity.used_up", "params": {"lane": "red", "moved_to": "yellow"}}
    kept = json.loads(explanation(out[out["capacity_note"] == ""].iloc[0].to_dict(), ["valuation"]))
    assert "capacity_reason" not in kept
