"""The synthetic customs world: determinism, our CSV format, the documented fraud and control mechanics."""

import math

import numpy as np
import pandas as pd
import pytest

from smartcustoms.declarations.models import FIELDS
from smartcustoms.declarations.validate import validate
from smartcustoms.reference import hs
from smartcustoms.world import FRAUD_TYPES, PROFILES, TRUTH_COLUMNS, WorldConfig, generate, write_world
from smartcustoms.world.catalogue import PRODUCTS, description_pool

N = 20_000


@pytest.fixture(scope="module")
def world():
    return generate(WorldConfig(declarations=N, seed=7))


@pytest.fixture(scope="module")
def drifting():
    return generate(WorldConfig(declarations=N, seed=7, drift=True))


def _headers(world) -> pd.DataFrame:
    return world.declarations.drop_duplicates("declaration_id").set_index("declaration_id")


def _target_items(world, fraud_type: str) -> pd.DataFrame:
    """The goods-item rows that carry a fraud of this type, with their truth."""
    truth = world.truth[world.truth["fraud_type"] == fraud_type]
    return world.declarations.merge(truth, left_on=["declaration_id", "item_number"],
                                    right_on=["declaration_id", "fraud_item"])


def _within_binomial(measured: float, expected: float, n: int, sigmas: float = 4.0, slack: float = 0.005):
    return abs(measured - expected) <= sigmas * math.sqrt(expected * (1 - expected) / n) + slack


# --- determinism -------------------------------------------------------------------------------------------

def test_same_seed_gives_identical_frames_and_another_seed_does_not():
    first = generate(WorldConfig(declarations=1_500, seed=11, drift=True))
    again = generate(WorldConfig(declarations=1_500, seed=11, drift=True))
    other = generate(WorldConfig(declarations=1_500, seed=12, drift=True))
    for name in ("declarations", "inspections", "truth"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
    assert not first.declarations.equals(other.declarations)
    assert not first.truth["fraud_type"].equals(other.truth["fraud_type"])


# --- our CSV format ----------------------------------------------------------------------------------------

def test_declarations_are_in_our_format_and_carry_no_truth(world):
    assert list(world.declarations.columns) == FIELDS
    truth_only = set(TRUTH_COLUMNS) - {"declaration_id", "importer_id"}
    assert not truth_only & set(world.declarations.columns)
    assert not {"fraud_type", "duty_at_stake", "concealed_goods"} & set(world.declarations.columns)
    assert list(world.truth.columns) == TRUTH_COLUMNS


def test_every_row_passes_validation(world):
    result = validate(world.declarations)
    assert len(result.rejects) == 0, result.rejects.head().to_dict("records")
    assert result.declarations == N


def test_ids_items_and_truth_line_up(world):
    rows = world.declarations
    assert world.truth["declaration_id"].is_unique and len(world.truth) == N
    assert set(rows["declaration_id"]) == set(world.truth["declaration_id"])
    expected = rows.groupby("declaration_id", sort=False).cumcount() + 1
    assert (rows["item_number"] == expected).all()
    items = rows.groupby("declaration_id").size()
    single = (items == 1).mean()
    assert abs(single - world.config.single_item_share) < 0.02
    assert items.max() > 2  # some declarations have several items
    assert (rows["gross_mass"] >= rows["net_mass"]).all()
    cv = rows["item_price"] * rows["exchange_rate"]
    assert np.allclose(rows["customs_value"], cv, rtol=1e-3, atol=0.01)


def test_commodity_codes_are_hs_2022_and_misclassification_targets_are_sound():
    by_code = {p.code: p for p in PRODUCTS}
    for product in PRODUCTS:
        assert hs.is_subheading(product.code), product.code
        if product.lower_code:
            lower = by_code[product.lower_code]
            assert lower.code[:2] == product.code[:2]
            assert lower.duty <= product.duty
            assert lower.unit in (product.unit, "KGM")


# --- fraud -------------------------------------------------------------------------------------------------

def test_fraud_rate_per_importer_profile_matches_the_configuration(world):
    truth = world.truth
    fraud = truth["fraud_type"] != "none"
    for profile in PROFILES:
        rows = truth["importer_profile"] == profile
        measured = fraud[rows].mean()
        assert _within_binomial(measured, world.config.fraud_rate[profile], int(rows.sum())), (profile, measured)
    assert 0.03 <= fraud.mean() <= 0.12


def test_fraud_type_mix_matches_the_configuration(world):
    fraud = world.truth.loc[world.truth["fraud_type"] != "none", "fraud_type"]
    measured = fraud.value_counts(normalize=True)
    for fraud_type in FRAUD_TYPES:
        assert abs(measured.get(fraud_type, 0.0) - world.config.fraud_type_mix[fraud_type]) < 0.04, measured


def test_systematic_traders_concentrate_fraud(world):
    truth = world.truth
    systematic = truth["importer_profile"] == "systematic"
    fraud = truth["fraud_type"] != "none"
    assert systematic[fraud].mean() > 3 * systematic.mean()
    new = truth["new_importer"]
    assert fraud[new].mean() > fraud[~new].mean()


def test_duty_at_stake_is_true_minus_declared_duty(world):
    truth = world.truth
    fraud = truth["fraud_type"] != "none"
    assert (truth.loc[~fraud, "duty_at_stake"] == 0).all()
    assert (truth["duty_at_stake"] >= 0).all()
    assert np.allclose(truth["true_duty"] - truth["declared_duty"], truth["duty_at_stake"], atol=0.02)
    paying = fraud & ~truth["concealed_goods"].eq("narcotics")
    assert (truth.loc[paying, "duty_at_stake"] > 0).mean() > 0.99
    for fraud_type in FRAUD_TYPES:
        assert truth.loc[truth["fraud_type"] == fraud_type, "duty_at_stake"].sum() > 0


def test_undervaluation_and_understated_quantity_follow_their_factors(world):
    low, high = world.config.undervaluation_factor
    items = _target_items(world, "undervaluation")
    ratio = items["customs_value"] / items["true_value"]
    assert ratio.between(low - 0.01, high + 0.01).all()
    rate = items["duty_rate"] / 100
    assert np.allclose(items["duty_at_stake"], (items["true_value"] - items["customs_value"]) * rate, atol=0.02)

    low, high = world.config.understatement_factor
    items = _target_items(world, "understated_quantity")
    ratio = items["quantity"] / items["true_quantity"]
    assert (ratio < 1).all() and ratio.between(low - 0.05, high + 0.06).all()
    assert ratio.median() == pytest.approx((low + high) / 2, abs=0.06)


def test_misclassified_items_keep_the_description_of_the_true_goods(world):
    items = _target_items(world, "misclassification")
    assert len(items) > 50
    assert (items["commodity_code"] != items["true_commodity_code"]).all()
    assert (items["commodity_code"].str[:2] == items["true_commodity_code"].str[:2]).all()
    true_pool = [row.goods_description in description_pool(row.true_commodity_code)
                 for row in items.itertuples()]
    declared_pool = [row.goods_description in description_pool(row.commodity_code) for row in items.itertuples()]
    assert all(true_pool)
    assert np.mean(declared_pool) < 0.05
    duty = {p.code: p.duty for p in PRODUCTS}
    assert (items["duty_rate"] <= items["true_commodity_code"].map(duty)).all()


def test_false_origin_names_a_route_country(world):
    truth = world.truth[world.truth["fraud_type"] == "false_origin"]
    assert len(truth) > 30
    assert (truth["declared_origin"] != truth["true_origin"]).all()
    assert truth["declared_origin"].isin(world.config.hotspots["false_origin_routes"]).all()
    headers = _headers(world)
    assert (headers.loc[truth["declaration_id"], "dispatch_country"].to_numpy()
            == truth["declared_origin"].to_numpy()).all()


def test_prohibited_goods_are_concealed_in_the_gross_mass(world):
    truth = world.truth
    concealed = truth["concealed_goods"] != ""
    assert (concealed == (truth["fraud_type"] == "prohibited_goods")).all()
    items = _target_items(world, "prohibited_goods")
    others = world.declarations.loc[~world.declarations["declaration_id"].isin(truth.loc[concealed,
                                                                                         "declaration_id"])]
    excess = (items["gross_mass"] - items["net_mass"]).median()
    assert excess > (others["gross_mass"] - others["net_mass"]).median()


def test_drift_moves_fraud_to_new_codes_and_origins(world, drifting):
    def moved_share(w):
        truth = w.truth.assign(accepted=_headers(w).loc[w.truth["declaration_id"], "acceptance_datetime"].to_numpy())
        quarter = pd.qcut(truth["accepted"].rank(method="first"), 4, labels=False)
        fraud = truth[truth["fraud_type"] != "none"]
        new = fraud["true_commodity_code"].str[:4].isin(w.config.drift_hotspots["headings"])
        shares = new.groupby(quarter[fraud.index]).mean()
        return shares.iloc[-1] - shares.iloc[0], fraud, quarter

    moved, fraud, quarter = moved_share(drifting)
    assert moved > 0.08
    late = fraud[(quarter[fraud.index] == 3) & (fraud["fraud_type"] == "false_origin")]
    assert late["declared_origin"].isin(drifting.config.drift_hotspots["false_origin_routes"]).mean() > 0.9
    still, _, _ = moved_share(world)
    assert abs(still) < 0.06
    assert (world.truth["drift"] == 0).all() and drifting.truth["drift"].max() == 1


# --- historic controls -------------------------------------------------------------------------------------

def test_only_controlled_declarations_have_outcomes(world):
    controls = world.inspections
    assert controls["declaration_id"].is_unique
    assert set(controls["declaration_id"]) <= set(world.truth["declaration_id"])
    merged = controls.merge(world.truth, on="declaration_id")
    found = merged["result"] == "discrepancy"
    assert set(merged["result"]) == {"discrepancy", "no_discrepancy"}
    assert (merged.loc[found, "infringement"] == merged.loc[found, "fraud_type"]).all()
    assert (merged.loc[~found, "infringement"] == "").all()
    assert (merged.loc[found, "fraud_type"] != "none").all()
    assert np.allclose(merged.loc[found, "duty_recovered"], merged.loc[found, "duty_at_stake"])
    assert (merged.loc[~found, "duty_recovered"] == 0).all()
    missed = (merged["fraud_type"] != "none") & ~found
    assert missed.any()  # detection is imperfect
    assert set(controls["control_type"]) == {"documentary", "physical", "scan"}
    accepted = _headers(world).loc[controls["declaration_id"], "acceptance_datetime"].dt.normalize()
    assert (controls["inspection_date"].to_numpy() >= accepted.to_numpy()).all()


def test_selection_is_biased_with_a_random_share(world):
    config = world.config
    controls = world.inspections.merge(world.truth, on="declaration_id")
    random = controls["selection_reason"] == "random"
    assert set(controls["selection_reason"]) == {"risk", "random"}
    assert _within_binomial(random.sum() / N, config.random_control_rate, N)
    assert _within_binomial((~random).sum() / N, config.risk_control_rate, N)
    fraud = controls["fraud_type"] != "none"
    population = (world.truth["fraud_type"] != "none").mean()
    assert fraud[~random].mean() > 1.4 * population  # biased toward risky declarations
    assert _within_binomial(fraud[random].mean(), population, int(random.sum()))  # the random sample is fair


def test_write_world_writes_the_four_files_and_they_read_back_valid(tmp_path):
    small = generate(WorldConfig(declarations=800, seed=3))
    steps = []
    paths = write_world(small, tmp_path / "out", progress=steps.append)
    assert steps == ["declarations.csv", "declarations.parquet", "inspections.csv", "truth.csv"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(steps)
    text = pd.read_csv(paths["declarations.csv"], dtype=str, keep_default_na=False)
    assert list(text.columns) == FIELDS
    assert len(validate(text).rejects) == 0
    parquet = pd.read_parquet(paths["declarations.parquet"])
    pd.testing.assert_frame_equal(parquet, small.declarations, check_dtype=False)
    truth = pd.read_csv(paths["truth.csv"])
    assert len(truth) == 800 and truth["duty_at_stake"].sum() == pytest.approx(small.truth["duty_at_stake"].sum())
    controls = pd.read_csv(paths["inspections.csv"])
    assert len(controls) == len(small.inspections)
    assert controls["inspection_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_seasonality_and_working_days(world):
    headers = _headers(world)
    day = headers["acceptance_datetime"].dt.day_of_week
    assert (day >= 5).mean() < 0.12
    xmas = world.declarations[world.declarations["commodity_code"] == "95051090"]
    month = xmas["acceptance_datetime"].dt.month
    assert month.isin([9, 10, 11]).sum() > 3 * month.isin([2, 3, 4]).sum()


def test_config_is_checked():
    with pytest.raises(ValueError):
        WorldConfig(declarations=0)
    with pytest.raises(ValueError):
        WorldConfig(fraud_rate={"compliant": 0.1})
