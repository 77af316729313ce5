"""Trader risk: smoothed, point-in-time hit rates, new importers, compliance tiers."""

import numpy as np
import pandas as pd
import pytest
from test_valuation import generated, plain_python  # noqa: F401 (a fixture and a helper, shared)

from smartcustoms.risk.traders import TraderRisk
from smartcustoms.world import WorldConfig, generate

A = 5.0  # prior strength used in these tests
P0 = 0.05  # default prior


def declarations(rows: list[tuple]) -> pd.DataFrame:
    """Goods items from (declaration_id, acceptance time, importer, declarant) tuples."""
    table = pd.DataFrame(rows, columns=["declaration_id", "acceptance_datetime", "importer_id", "declarant_id"])
    table["acceptance_datetime"] = pd.to_datetime(table["acceptance_datetime"])
    table["item_number"] = 1
    table["customs_value"] = 10_000.0
    table["duty_rate"] = 10.0
    return table


def outcomes(rows: list[tuple]) -> pd.DataFrame:
    """Controls from (declaration_id, inspection date, found?) tuples."""
    return pd.DataFrame({
        "declaration_id": [r[0] for r in rows],
        "inspection_date": pd.to_datetime([r[1] for r in rows]),
        "control_type": "physical", "selection_reason": "risk",
        "result": ["discrepancy" if r[2] else "no_discrepancy" for r in rows],
        "infringement": ["undervaluation" if r[2] else "" for r in rows],
        "duty_recovered": 0.0,
    })


@pytest.fixture
def history():
    # importer RISKY: 4 controls, 2 hits; importer CLEAN: 6 controls, no hit; both with declarant BRK
    rows = [(f"R{i}", f"2025-01-{i + 1:02d} 10:00", "RISKY", "BRK") for i in range(4)]
    rows += [(f"C{i}", f"2025-01-{i + 1:02d} 11:00", "CLEAN", "BRK") for i in range(6)]
    return declarations(rows)


@pytest.fixture
def controls():
    rows = [("R0", "2025-01-02", True), ("R1", "2025-01-03", False), ("R2", "2025-01-04", True),
            ("R3", "2025-01-05", False)]
    rows += [(f"C{i}", f"2025-01-{i + 2:02d}", False) for i in range(6)]
    return outcomes(rows)


def later(importer="RISKY", when="2025-03-01 09:00", declarant="BRK", ident="NEW1") -> pd.DataFrame:
    return declarations([(ident, when, importer, declarant)])


def test_hit_rates_are_smoothed_towards_the_prior_of_the_moment(history, controls):
    scored = TraderRisk(prior_strength=A, default_prior=P0).fit(history, controls).score(later())
    prior = (2 + A * P0) / (10 + A)  # 2 hits in 10 controls overall
    assert scored["importer_hit_rate"].iloc[0] == pytest.approx((2 + A * prior) / (4 + A))
    assert scored["declarant_hit_rate"].iloc[0] == pytest.approx((2 + A * prior) / (10 + A))
    assert scored["importer_controls"].iloc[0] == 4
    assert scored["importer_declarations"].iloc[0] == 4
    clean = TraderRisk(prior_strength=A, default_prior=P0).fit(history, controls).score(later("CLEAN"))
    assert clean["importer_hit_rate"].iloc[0] == pytest.approx(A * prior / (6 + A))
    assert clean["trader_score"].iloc[0] < scored["trader_score"].iloc[0]
    assert "importer RISKY: 2 discrepancies in 4 controls" in scored["trader_reason"].iloc[0]
    assert clean["trader_reason"].iloc[0] == ""


def test_no_future_outcome_is_used(history, controls):
    frame = later(when="2025-01-20 09:00")
    history = pd.concat([history, declarations([("R9", "2025-01-15 10:00", "RISKY", "BRK")])])
    before = TraderRisk().fit(history, controls).score(frame)
    # R9 found on the day after the declaration, and a second (later) control of R0
    future = outcomes([("R9", "2025-01-21", True), ("R0", "2025-02-01", True)])
    after = TraderRisk().fit(history, pd.concat([controls, future])).score(frame)
    pd.testing.assert_frame_equal(after, before)
    # the same find dated before the declaration does count
    past = outcomes([("R9", "2025-01-18", True)])
    known = TraderRisk().fit(history, pd.concat([controls, past])).score(frame)
    assert known["importer_hit_rate"].iloc[0] > before["importer_hit_rate"].iloc[0]
    assert known["importer_controls"].iloc[0] == 5


def test_an_outcome_dated_without_a_time_counts_from_the_end_of_that_day(history, controls):
    # R3 was inspected "2025-01-05" (a bare date): unknown to a declaration at 09:00 that day, known the next
    risk = TraderRisk().fit(history, controls)
    same_day = risk.score(later(when="2025-01-05 09:00"))
    next_day = risk.score(later(when="2025-01-06 09:00"))
    assert same_day["importer_controls"].iloc[0] == 3
    assert next_day["importer_controls"].iloc[0] == 4


def test_as_of_drops_later_declarations_and_outcomes(history, controls):
    risk = TraderRisk().fit(history, controls, as_of="2025-01-04")
    assert risk.declarations_["acceptance_datetime"].max() < pd.Timestamp("2025-01-04")
    assert risk.outcomes_["inspection_date"].max() < pd.Timestamp("2025-01-04")
    scored = risk.score(later())
    assert scored["importer_controls"].iloc[0] == 2  # R0 and R1, inspected on the 2nd and 3rd
    assert scored["importer_declarations"].iloc[0] == 3


def test_earlier_rows_of_the_frame_count_as_history():
    # only one old declaration in history, then a burst of declarations of the same new importer
    history = declarations([("H0", "2024-06-01 10:00", "OLD", "BRK")])
    frame = declarations([(f"N{i}", f"2025-03-{i + 1:02d} 10:00", "FRESH", "BRK") for i in range(5)])
    frame = pd.concat([frame, frame.iloc[[2]]], ignore_index=True)  # a second item of N2
    scored = TraderRisk(new_days=90, min_declarations=3).fit(history).score(frame)
    assert list(scored["importer_declarations"]) == [0, 1, 2, 3, 4, 2]
    assert scored["new_importer"].all()  # first seen 0-4 days earlier
    assert "new importer: first declaration 3 days earlier, 3 earlier declarations" in scored["trader_reason"].iloc[3]
    assert scored["trader_score"].iloc[0] > TraderRisk().fit(history).score(
        declarations([("X", "2025-03-01 10:00", "OLD", "BRK")]))["trader_score"].iloc[0]


def test_new_importer_flag_needs_look_back_and_ends_after_new_days():
    old = [(f"O{i}", f"2024-01-{i + 1:02d} 10:00", "OLD", "BRK") for i in range(10)]
    fresh = [(f"F{i}", f"2024-06-{i + 1:02d} 10:00", "FRESH", "BRK") for i in range(5)]
    risk = TraderRisk(new_days=90, min_declarations=3).fit(declarations(old + fresh))
    scored = risk.score(declarations([("Q1", "2024-07-01 10:00", "FRESH", "BRK"),
                                      ("Q2", "2024-12-01 10:00", "FRESH", "BRK"),
                                      ("Q3", "2024-07-01 10:00", "OLD", "BRK"),
                                      ("Q4", "2024-07-01 10:00", "NEVER", "BRK")]))
    assert list(scored["new_importer"]) == [True, False, False, True]
    # OLD's first declaration opens the history: no look-back to call it new, even with few declarations
    assert not TraderRisk(min_declarations=50).fit(declarations(old)).score(
        declarations([("Q5", "2024-01-20 10:00", "OLD", "BRK")]))["new_importer"].iloc[0]


def test_aeo_tier_lowers_the_score(history, controls):
    frame = pd.concat([later(), later("CLEAN", ident="NEW2")], ignore_index=True)
    plain = TraderRisk().fit(history, controls).score(frame)
    tiered = TraderRisk(aeo_importers={"RISKY"}, aeo_factor=0.5).fit(history, controls).score(frame)
    assert list(tiered["compliance_tier"]) == ["aeo", "standard"]
    assert list(plain["compliance_tier"]) == ["standard", "standard"]
    assert tiered["trader_score"].iloc[0] == pytest.approx(0.5 * plain["trader_score"].iloc[0])
    assert tiered["trader_score"].iloc[1] == pytest.approx(plain["trader_score"].iloc[1])
    assert tiered["trader_duty_at_risk"].iloc[0] < plain["trader_duty_at_risk"].iloc[0]


def test_declarant_record_shifts_the_score_unless_the_importer_declares_itself(history, controls):
    bad_broker = declarations([(f"B{i}", f"2025-01-{i + 1:02d} 12:00", f"IMP{i}", "SHADY") for i in range(20)])
    found = outcomes([(f"B{i}", f"2025-01-{i + 2:02d}", i % 2 == 0) for i in range(20)])
    risk = TraderRisk(declarant_weight=0.5).fit(pd.concat([history, bad_broker]), pd.concat([controls, found]))
    scored = risk.score(pd.concat([later("CLEAN", declarant="SHADY"), later("CLEAN", declarant="BRK", ident="N2"),
                                   later("CLEAN", declarant="CLEAN", ident="N3")], ignore_index=True))
    assert scored["declarant_hit_rate"].iloc[0] > scored["declarant_hit_rate"].iloc[1]
    assert scored["trader_score"].iloc[0] > scored["trader_score"].iloc[1]
    # a self-declaring importer: its own record only, nothing from a broker
    assert scored["trader_score"].iloc[2] == pytest.approx(scored["importer_hit_rate"].iloc[2])


def test_output_contract_and_missing_importer(history, controls):
    frame = pd.concat([later(), later(ident="N2")], ignore_index=True)
    frame.index = ["a", "b"]
    frame.loc["b", "importer_id"] = None
    scored = TraderRisk().fit(history, controls).score(frame)
    assert list(scored.index) == ["a", "b"]
    assert {"trader_score", "trader_duty_at_risk", "trader_reason", "new_importer", "importer_hit_rate",
            "declarant_hit_rate", "importer_controls", "compliance_tier"} <= set(scored.columns)
    assert 0 < scored.loc["a", "trader_score"] < 1
    assert scored.loc["a", "trader_duty_at_risk"] > 0  # above the prior: a share of its 1,000 EUR duty
    assert np.isnan(scored.loc["b", "trader_score"])
    assert scored.loc["b", "trader_reason"] == "not checked: no importer"
    assert scored.loc["b", "trader_codes"] == [{"code": "trader.not_checked.no_importer", "params": {}}]
    assert scored.loc["b", "trader_duty_at_risk"] == 0


def test_on_a_generated_world_precision_is_far_above_the_fraud_rate():
    world = generate(WorldConfig(declarations=20_000, seed=11))
    cut = pd.Timestamp("2025-10-01")
    test = world.declarations[world.declarations["acceptance_datetime"] >= cut]
    scores = TraderRisk().fit(world.declarations, world.inspections, as_of=cut).score(test)["trader_score"]
    per_declaration = scores.fillna(0).groupby(test["declaration_id"].to_numpy()).max()
    fraud = world.truth.set_index("declaration_id")["fraud_type"].loc[per_declaration.index] != "none"
    selected = per_declaration.sort_values(ascending=False, kind="stable").index[: int(0.05 * len(per_declaration))]
    assert fraud.loc[selected].mean() > 3 * fraud.mean()


# --- one declaration at a time: the same results as the batch ---------------------------------------------------

def test_small_frame_route_gives_the_batch_results(monkeypatch, generated):  # noqa: F811
    history, inspections, _, frame = generated
    risk = TraderRisk(aeo_importers=tuple(frame["importer_id"].dropna().unique()[:5])).fit(history, inspections)
    plain_python(monkeypatch, True)
    small = risk.score(frame)
    plain_python(monkeypatch, False)
    pd.testing.assert_frame_equal(small, risk.score(frame), check_exact=True)


def test_one_declaration_at_a_time_equals_the_batch(generated):  # noqa: F811
    history, inspections, frame, _ = generated
    # controls dated before the frame's first day: none of them is of a declaration of the frame
    risk = TraderRisk().fit(history, inspections, as_of=frame["acceptance_datetime"].min().normalize())
    # one declaration per importer: no declaration of the frame is then earlier history for another one
    frame = frame[frame["declaration_id"].isin(frame.drop_duplicates("importer_id")["declaration_id"])]
    batch = risk.score(frame)
    assert (batch["trader_reason"].str.startswith("importer")).sum() > 5  # the frame has findings
    alone = pd.concat([risk.score(one) for _, one in frame.groupby("declaration_id", sort=False)])
    pd.testing.assert_frame_equal(alone.loc[frame.index], batch, check_exact=True)


def test_declarations_count_alike_from_the_history_or_from_the_frame(generated):  # noqa: F811
    history, inspections, _, frame = generated
    cut = pd.Timestamp("2025-08-01")
    early, late = history[history["acceptance_datetime"] < cut], history[history["acceptance_datetime"] >= cut]
    # the August declarations and their controls as history, or as earlier rows of the scored frame
    fitted = TraderRisk().fit(history, inspections).score(frame)
    in_frame = TraderRisk().fit(early, inspections).score(pd.concat([late, frame])).loc[frame.index]
    pd.testing.assert_frame_equal(in_frame, fitted, check_exact=True)
    # and declarations of the history scored again count once
    again = TraderRisk().fit(history, inspections).score(pd.concat([late, frame])).loc[frame.index]
    pd.testing.assert_frame_equal(again, fitted, check_exact=True)
