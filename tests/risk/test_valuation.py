"""Valuation screen: reference prices from history, robust z-scores, bands, fallbacks, exclusions, wording."""

import numpy as np
import pandas as pd
import pytest

from smartcustoms.declarations.models import FIELDS
from smartcustoms.risk.quality import capture_at_budget, to_declarations
from smartcustoms.risk.valuation import ValuationScreen

STEPS = np.arange(-10, 11) * 0.1  # 21 log deviations: median 0, MAD 0.5


def items(unit_values, code="64039996", origin="CN", unit="NPR", quantity=100.0, rate=8.0, start="2025-01-06",
          prefix="H", **fields) -> pd.DataFrame:
    """One single-item declaration per unit value, one day apart."""
    unit_values = np.asarray(unit_values, dtype=float)
    n = len(unit_values)
    frame = pd.DataFrame({name: [None] * n for name in FIELDS})
    frame["declaration_id"] = [f"{prefix}{i:05d}" for i in range(n)]
    frame["acceptance_datetime"] = pd.Timestamp(start) + pd.to_timedelta(np.arange(n), unit="D")
    frame["importer_id"] = "IMP001"
    frame["dispatch_country"] = origin
    frame["item_number"] = 1
    frame["commodity_code"] = code
    frame["origin_country"] = origin
    frame["quantity"] = quantity
    frame["quantity_unit"] = unit
    frame["customs_value"] = unit_values * quantity
    frame["duty_rate"] = rate
    for name, value in fields.items():
        frame[name] = value
    return frame


def cell(median=10.0, **kwargs) -> pd.DataFrame:
    """21 imports whose log unit values are median +- 0..1.0 in steps of 0.1 (MAD 0.5)."""
    return items(median * np.exp(STEPS), **kwargs)


def test_robust_z_band_and_score_columns():
    screen = ValuationScreen(min_observations=20).fit(cell())
    low = 10 * np.exp(-2 * 1.4826 * 0.5)  # exactly 2 robust deviations below the median
    frame = items([low, 10.0, 30.0], prefix="S").set_index(pd.Index([7, 8, 9]))
    out = screen.score(frame)

    assert list(out.index) == [7, 8, 9]
    np.testing.assert_allclose(out["valuation_z"], [-2.0, 0.0, np.log(3) / (1.4826 * 0.5)], atol=1e-9)
    np.testing.assert_allclose(out["valuation_band_p10"].iloc[0], 10 * np.exp(np.quantile(STEPS, 0.1)))
    np.testing.assert_allclose(out["valuation_band_p90"].iloc[0], 10 * np.exp(np.quantile(STEPS, 0.9)))
    np.testing.assert_allclose(out["valuation_reference_median"], 10.0)
    assert out["valuation_score"].iloc[0] == pytest.approx(0.5)  # z_threshold = 2
    assert out["valuation_score"].iloc[2] < out["valuation_score"].iloc[1] < 0.05
    assert (out["valuation_reference_level"] == "hs6xorigin").all()
    assert (out["valuation_reference_n"] == 21).all()


def test_duty_at_risk_and_decision_6_1_wording():
    screen = ValuationScreen().fit(cell())
    out = screen.score(items([2.10, 9.0], prefix="S", quantity=50.0, rate=8.0))
    low, fine = out.iloc[0], out.iloc[1]
    assert low["valuation_duty_at_risk"] == pytest.approx((10.0 - 2.10) * 50 * 8 / 100)
    p10 = 10 * np.exp(np.quantile(STEPS, 0.1))
    assert low["valuation_reason"] == (
        f"declared unit value 2.10 EUR/pair is below the P10 ({p10:,.2f}) of 21 comparable imports of 640399 "
        "from CN: reason to doubt the declared value (WTO Decision 6.1)")
    assert "reason to doubt" in low["valuation_reason"]
    assert fine["valuation_reason"] == "" and fine["valuation_duty_at_risk"] == 0.0


def test_fallback_levels():
    history = pd.concat([
        cell(code="64039996", origin="CN", prefix="A"),  # 640399 x CN: a full cell of its own
        cell(code="64039996", origin="VN", prefix="B").iloc[:5],  # 640399 x VN: too few
        cell(code="64041100", origin="CN", prefix="C").iloc[:15],  # 640411 and 640420: too few each...
        cell(code="64042000", origin="CN", prefix="E").iloc[:10],  # ... but heading 6404 has 25
        cell(code="64029998", origin="CN", prefix="D").iloc[:15],  # heading 6402: too few, chapter 64 has 66
    ])
    screen = ValuationScreen(min_observations=20).fit(history)
    frame = pd.concat([
        items([10.0], code="64039996", origin="CN", prefix="S1"),
        items([10.0], code="64039996", origin="VN", prefix="S2"),
        items([10.0], code="64041900", origin="CN", prefix="S3"),
        items([10.0], code="64069030", origin="CN", prefix="S4"),
        items([10.0], code="64039996", origin="CN", unit="KGM", prefix="S5"),  # no kg prices at all
    ], ignore_index=True)
    out = screen.score(frame)
    assert list(out["valuation_reference_level"]) == ["hs6xorigin", "hs6", "hs4", "chapter", ""]
    assert list(out["valuation_reference_n"].iloc[:4]) == [21, 26, 15 + 10, 21 + 5 + 15 + 10 + 15]
    assert np.isnan(out["valuation_score"].iloc[4])
    assert "not checked: unit value (fewer than 20 comparable imports)" in out["valuation_reason"].iloc[4]
    assert out["valuation_codes"].iloc[4] == [{"code": "valuation.not_checked.few_imports", "params": {"min": 20}}]
    assert out["valuation_codes"].iloc[:4].isna().all()  # compared, nothing missing: no note
    low = screen.score(items([1.0], code="64069030", origin="CN", prefix="S6"))
    assert "comparable imports of chapter 64:" in low["valuation_reason"].iloc[0]


def test_units_are_never_mixed():
    history = pd.concat([cell(unit="NPR", prefix="A"), cell(median=1.0, unit="KGM", prefix="B")])
    out = ValuationScreen().fit(history).score(items([1.0, 1.0], unit=["NPR", "KGM"], prefix="S"))
    assert out["valuation_reference_median"].tolist() == pytest.approx([10.0, 1.0])
    assert out["valuation_reason"].iloc[0].startswith("declared unit value 1.00 EUR/pair")
    assert out["valuation_reason"].iloc[1] == ""


def test_adjusted_declarations_are_excluded_from_the_reference_set():
    history = pd.concat([cell(prefix="A"), items([0.5] * 10, prefix="L", start="2025-03-01")], ignore_index=True)
    outcomes = pd.DataFrame({
        "declaration_id": [f"L{i:05d}" for i in range(10)] + ["A00000"],
        "inspection_date": pd.Timestamp("2025-03-20"),
        "control_type": "documentary", "selection_reason": "risk",
        "result": ["discrepancy"] * 10 + ["no_discrepancy"],
        "infringement": ["undervaluation"] * 9 + ["misclassification"] + [""],
        "duty_recovered": 10.0,
    })
    every = ValuationScreen().fit(history, outcomes)
    assert every.n_excluded_declarations_ == 10
    assert every.references_["hs6xorigin"]["n"].iloc[0] == 21
    only_value = ValuationScreen(exclude_infringements=("undervaluation",)).fit(history, outcomes)
    assert only_value.references_["hs6xorigin"]["n"].iloc[0] == 22  # the misclassification stays
    unfiltered = ValuationScreen().fit(history)
    assert unfiltered.references_["hs6xorigin"]["n"].iloc[0] == 31
    # an outcome recorded on or after as_of is not known yet at as_of
    early = ValuationScreen().fit(history, outcomes, as_of="2025-03-20")
    assert early.n_excluded_declarations_ == 0


def test_as_of_never_uses_later_rows():
    past = cell(prefix="A")
    later = items([0.01] * 50, prefix="Z", start="2025-06-01")
    as_of = pd.Timestamp("2025-06-01")
    seen = ValuationScreen().fit(pd.concat([past, later]), as_of=as_of)
    alone = ValuationScreen().fit(past)
    for level in seen.references_:
        pd.testing.assert_frame_equal(seen.references_[level], alone.references_[level])
    frame = items([3.0], prefix="S", start="2025-06-02")
    pd.testing.assert_frame_equal(seen.score(frame), alone.score(frame))


def test_missing_fields_are_scored_by_what_is_available():
    screen = ValuationScreen().fit(pd.concat([cell(prefix="A"), cell(origin="VN", prefix="B")]))
    frame = items([2.0] * 4, prefix="S")
    frame.loc[0, "quantity"] = np.nan
    frame.loc[1, "origin_country"] = np.nan
    frame.loc[2, "duty_rate"] = np.nan
    frame.loc[3, "commodity_code"] = None
    out = screen.score(frame)
    reason = out["valuation_reason"]
    assert np.isnan(out["valuation_score"].iloc[0])
    assert "not checked: unit value against reference prices (missing quantity)" in reason.iloc[0]
    assert out["valuation_reference_level"].iloc[1] == "hs6"  # still compared, with all origins
    assert "not checked: origin-specific reference price (missing origin_country)" in reason.iloc[1]
    assert out["valuation_score"].iloc[1] > 0.5 and "reason to doubt" in reason.iloc[1]
    assert out["valuation_score"].iloc[2] > 0.5 and out["valuation_duty_at_risk"].iloc[2] == 0.0
    assert "not checked: duty at risk (missing duty_rate)" in reason.iloc[2]
    assert np.isnan(out["valuation_score"].iloc[3])
    assert "missing commodity_code" in reason.iloc[3]
    # the same notes as codes: the check that could not run and the missing fields
    codes = [[(r["code"], r["params"]) for r in row] for row in out["valuation_codes"]]
    assert codes[0] == [("valuation.not_checked.missing", {"check": "reference_price", "fields": ["quantity"]})]
    assert codes[1] == [("valuation.not_checked.missing", {"check": "origin_price", "fields": ["origin_country"]})]
    assert codes[2] == [("valuation.not_checked.missing", {"check": "duty", "fields": ["duty_rate"]})]
    assert codes[3] == [("valuation.not_checked.missing", {"check": "reference_price", "fields": ["commodity_code"]})]
    # a frame without the columns at all
    bare = screen.score(frame.drop(columns=["origin_country", "duty_rate"]))
    assert (bare["valuation_reference_level"] != "hs6xorigin").all()


def test_zero_duty_and_multi_item_declarations_score_lower():
    screen = ValuationScreen().fit(cell())
    low = 10 * np.exp(-3 * 1.4826 * 0.5)
    frame = items([low, low, low, 10.0, 10.0], prefix="S", rate=[8.0, 0.0, 8.0, 8.0, 8.0])
    frame["declaration_id"] = ["S1", "S2", "S3", "S3", "S3"]  # S3: three items, one of them low
    out = screen.score(frame)
    single, free, crowded = out["valuation_score"].iloc[:3]
    assert free == pytest.approx(single * 0.25)
    assert crowded < single
    assert out["valuation_z"].iloc[2] == pytest.approx(out["valuation_z"].iloc[0])
    plain = ValuationScreen(per_declaration=False).fit(cell()).score(frame)
    assert plain["valuation_score"].iloc[2] == pytest.approx(single)


def test_score_before_fit_fails():
    with pytest.raises(AttributeError):
        ValuationScreen().score(cell())


def test_aggregation_and_capture_at_budget():
    frame = pd.DataFrame({"declaration_id": ["D1", "D1", "D2", "D3", "D4"]})
    screened = pd.DataFrame({"x_score": [0.2, 0.9, 0.5, np.nan, 0.1], "x_duty_at_risk": [1.0, 2.0, 0.0, 0.0, 5.0]})
    per_declaration = to_declarations(frame, screened, "x")
    assert list(per_declaration.index) == ["D1", "D2", "D3", "D4"]
    assert per_declaration["x_score"].tolist()[:2] == [0.9, 0.5] and per_declaration["x_score"]["D4"] == 0.1
    assert np.isnan(per_declaration["x_score"]["D3"]) and per_declaration["x_duty_at_risk"]["D1"] == 3.0
    truth = pd.DataFrame({"declaration_id": ["D1", "D2", "D3", "D4"],
                          "fraud_type": ["undervaluation", "none", "false_origin", "undervaluation"],
                          "duty_at_stake": [100.0, 0.0, 50.0, 30.0]})
    table = capture_at_budget(per_declaration["x_score"], truth, budgets=(0.25, 0.5))
    row = table.set_index(["budget", "fraud_type"])
    assert row.loc[(0.25, "undervaluation"), "recall"] == 0.5
    assert row.loc[(0.25, "undervaluation"), "precision"] == 1.0
    assert row.loc[(0.5, "any"), "hits"] == 1 and row.loc[(0.5, "any"), "selected"] == 2
    assert row.loc[(0.5, "any"), "duty_share"] == pytest.approx(100 / 180)
    assert row.loc[(0.5, "false_origin"), "recall"] == 0.0  # NaN scores come last


def test_quality_on_a_generated_world():
    from smartcustoms.world import WorldConfig, generate

    world = generate(WorldConfig(declarations=30_000, seed=3))
    d, cut = world.declarations, pd.Timestamp("2025-10-01")
    test = d[d["acceptance_datetime"] >= cut]
    screen = ValuationScreen().fit(d, world.inspections, as_of=cut)
    out = screen.score(test)
    assert out.index.equals(test.index)
    per_declaration = to_declarations(test, out, "valuation")
    table = capture_at_budget(per_declaration["valuation_score"], world.truth, budgets=(0.05,))
    under = table.set_index("fraud_type").loc["undervaluation"]
    assert under["recall"] >= 0.45  # random selection would catch 5 %
    assert under["precision"] >= 0.25  # undervaluation is about 3 % of declarations


# --- one declaration at a time: the same results as the batch ---------------------------------------------------

def messy(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A copy of a generated frame with what real data brings: missing, blank, lower-case, padded and
    non-ASCII text, dotted codes, invalid codes, missing and zero numbers."""
    rng = np.random.default_rng(seed)
    frame = frame.copy()
    n = len(frame)
    for column in ["commodity_code", "origin_country", "dispatch_country", "quantity_unit", "preference_claim",
                   "importer_id", "declarant_id"]:
        values = frame[column].to_numpy(dtype=object, copy=True)
        for share, change in ((0.03, lambda v: None), (0.03, lambda v: "  "), (0.05, lambda v: f" {v.lower()}\t"),
                              (0.02, lambda v: v + "\u00e9"), (0.02, lambda v: "\u00a0" + v)):
            rows = np.flatnonzero(rng.random(n) < share)
            values[rows] = [change(v) if isinstance(v, str) else v for v in values[rows]]
        frame[column] = values
    codes = frame["commodity_code"].to_numpy(dtype=object, copy=True)
    rows = np.flatnonzero(rng.random(n) < 0.05)
    codes[rows] = [f"{v[:4]}.{v[4:6]} {v[6:]}" if isinstance(v, str) else v for v in codes[rows]]
    codes[rng.random(n) < 0.02] = "12ab5678"
    frame["commodity_code"] = codes
    for column in ["quantity", "customs_value", "duty_rate"]:
        frame.loc[rng.random(n) < 0.03, column] = np.nan
    frame.loc[rng.random(n) < 0.03, "quantity"] = 0.0
    frame.loc[rng.random(n) < 0.03, "duty_rate"] = 0.0
    frame.loc[rng.random(n) < 0.02, "acceptance_datetime"] = pd.NaT
    return frame


@pytest.fixture(scope="module")
def generated():
    """(history, outcomes, frame, messy frame): some 300 goods items of later declarations, as generated and
    with ``messy`` data."""
    from smartcustoms.world import WorldConfig, generate

    world = generate(WorldConfig(declarations=4_000, seed=5))
    d, cut = world.declarations, pd.Timestamp("2025-09-01")
    later = d[d["acceptance_datetime"] >= cut]
    ids = np.random.default_rng(0).choice(later["declaration_id"].unique(), 170, replace=False)
    frame = later[later["declaration_id"].isin(ids)]
    return d[d["acceptance_datetime"] < cut], world.inspections, frame, messy(frame)


def plain_python(monkeypatch, on: bool) -> None:
    """Make every frame take the small-frame route (dicts, plain-Python cleaning) or the pandas one."""
    from smartcustoms.risk import traders, valuation

    for module, name in ((valuation, "SMALL"), (valuation, "FEW"), (traders, "SMALL")):
        monkeypatch.setattr(module, name, 10**9 if on else 0)


def test_small_frame_route_gives_the_batch_results(monkeypatch, generated):
    history, outcomes, _, frame = generated
    screen = ValuationScreen().fit(history, outcomes)
    plain_python(monkeypatch, True)
    small = screen.score(frame)
    plain_python(monkeypatch, False)
    pd.testing.assert_frame_equal(small, screen.score(frame), check_exact=True)


def test_one_declaration_at_a_time_equals_the_batch(generated):
    history, outcomes, _, frame = generated
    screen = ValuationScreen().fit(history, outcomes)
    batch = screen.score(frame)
    assert (batch["valuation_reason"].str.startswith("declared unit value")).any()  # the frame has findings
    alone = pd.concat([screen.score(one) for _, one in frame.groupby("declaration_id", sort=False)])
    pd.testing.assert_frame_equal(alone.loc[frame.index], batch, check_exact=True)


def test_cleaning_in_plain_python_matches_the_pandas_string_methods(monkeypatch):
    from smartcustoms.risk import valuation
    from smartcustoms.risk.valuation import clean_code, clean_text, cleaned

    chars = [chr(c) for c in range(128)]
    values = np.array(chars + [f"ab{c}" for c in chars] + [f"{c}cn " for c in chars]
                      + [f"6403{c}99.96" for c in chars] + ["", "   ", "6403999", "64039996", "6403.99.96",
                                                             " 64 03 99 96 12 ", "12345678901", "1234567890"],
                      dtype=object)
    for clean in (clean_text, clean_code):
        monkeypatch.setattr(valuation, "FEW", 10**9)
        plain = cleaned(values, clean)
        monkeypatch.setattr(valuation, "FEW", 0)
        vectorised = cleaned(values, clean)
        assert [None if pd.isna(v) else v for v in plain] == [None if pd.isna(v) else v for v in vectorised]


def test_a_low_price_next_to_an_item_without_unit():
    # (used to raise a TypeError while wording the reason of the low item)
    screen = ValuationScreen().fit(cell())
    frame = items([1.0, 1.0], prefix="S", unit=["NPR", None])
    out = screen.score(frame)
    assert out["valuation_reason"].iloc[0].startswith("declared unit value 1.00 EUR/pair is below the P10")
    assert out["valuation_reason"].iloc[1] == ("not checked: unit value against reference prices "
                                               "(missing quantity_unit)")


def test_finite_is_nan_to_num():
    from smartcustoms.risk.valuation import finite

    values = np.array([0.0, -0.0, 1.5, -2.0, np.nan, np.inf, -np.inf, 1e30, -1e-30])
    for given in (values, values.reshape(3, 3), values[:0], values.astype(np.float32), values[:4].astype(int)):
        expected = np.nan_to_num(given)
        out = finite(given)
        assert out.dtype == expected.dtype and out.shape == expected.shape
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))  # -0.0 stays -0.0
