"""Origin screen: route, importer switch, preference coverage, circumvention of measures, unusual origin."""

import numpy as np
import pandas as pd
import pytest
from test_valuation import generated, plain_python  # noqa: F401 (a fixture and a helper, shared)

from smartcustoms.declarations.models import FIELDS
from smartcustoms.risk.origin import OriginConfig, OriginScreen, TradeAgreement
from smartcustoms.risk.quality import capture_at_budget, to_declarations

CONFIG = OriginConfig(
    agreements={
        "EU-VN-FTA": TradeAgreement(partners=frozenset({"VN"})),
        "GSP-EBA": TradeAgreement(partners=frozenset({"BD", "KH"})),
        "EU-TR-CU": TradeAgreement(partners=frozenset({"TR"}), chapters=frozenset(f"{c:02d}" for c in range(25, 98))),
    },
    measures={"731815": {"CN": 55.0}},
)


def items(n, start="2025-01-06", prefix="H", importer=None, **columns) -> pd.DataFrame:
    """n single-item declarations, one a day; a column may be a scalar or a list of n values."""
    frame = pd.DataFrame({name: [None] * n for name in FIELDS})
    frame["declaration_id"] = [f"{prefix}{i:05d}" for i in range(n)]
    frame["acceptance_datetime"] = pd.Timestamp(start) + pd.to_timedelta(np.arange(n), unit="D")
    frame["importer_id"] = importer if importer is not None else [f"IMP{prefix}{i:04d}" for i in range(n)]
    frame["item_number"] = 1
    frame["commodity_code"] = "73181595"
    frame["origin_country"] = "CN"
    frame["dispatch_country"] = columns.get("origin_country", "CN")
    frame["quantity"] = 1000.0
    frame["quantity_unit"] = "KGM"
    frame["customs_value"] = 2000.0
    frame["duty_rate"] = 3.7
    frame["preference_claim"] = np.nan
    for name, value in columns.items():
        frame[name] = value
    return frame


def history() -> pd.DataFrame:
    """Bolts (731815): 60 % CN (with the measure, 58.7 %), 40 % TW; some CN goods shipped via HK."""
    cn = items(60, prefix="C", origin_country="CN", duty_rate=58.7, tax_type="A30",
               dispatch_country=["HK"] * 6 + ["CN"] * 54)
    tw = items(40, prefix="T", origin_country="TW", duty_rate=3.7)
    return pd.concat([cn, tw], ignore_index=True)


def screen(**params) -> OriginScreen:
    return OriginScreen(config=CONFIG, **params).fit(history())


def test_route_flags_rare_origin_dispatch_pairs_only():
    frame = items(3, prefix="S", start="2025-06-01", origin_country="CN", duty_rate=58.7,
                  dispatch_country=["BD", "HK", "CN"])
    out = screen().score(frame)
    assert out["origin_route"].tolist() == pytest.approx([0.2, 0.0, 0.0])
    assert out["origin_reason"].iloc[0] == ("origin CN dispatched from BD: a route seen in 0.0% of 60 earlier imports "
                                            "from CN")
    assert out["origin_reason"].iloc[1] == "" and out["origin_reason"].iloc[2] == ""
    assert out["origin_score"].iloc[0] == pytest.approx(0.2)


def test_circumvention_of_a_measure_by_a_new_origin():
    frame = items(3, prefix="S", start="2025-06-01", origin_country=["MY", "TW", "CN"], duty_rate=[3.7, 3.7, 58.7])
    out = screen().score(frame)
    assert out["origin_circumvention"].tolist() == pytest.approx([0.9, 0.0, 0.0])
    assert out["origin_duty_at_risk"].iloc[0] == pytest.approx(2000.0 * 0.55)
    assert "731815 is under trade-defence measures on CN (up to 55.0%); origin MY is new or rare for these goods " \
           "(0.0% of 100 earlier imports): possible circumvention (transshipment)" in out["origin_reason"].iloc[0]
    assert out["origin_score"].iloc[1] == 0.0 and out["origin_score"].iloc[2] == 0.0


def test_circumvention_by_a_suddenly_growing_origin():
    base = history()
    # TH: 1 of 100 bolts before the last 90 days, then 8 of 30
    early = items(1, prefix="E", start="2025-02-01", origin_country="TH")
    late = items(30, prefix="L", start="2025-05-01", origin_country=["TH"] * 8 + ["CN"] * 22, duty_rate=3.7)
    fitted = OriginScreen(config=CONFIG, new_origin_share=0.05).fit(pd.concat([base, early, late]),
                                                                    as_of="2025-06-01")
    assert fitted.origin_shares_.loc[("731815", "TH"), "share"] > 0.05  # no longer rare overall...
    out = fitted.score(items(1, prefix="S", start="2025-06-02", origin_country="TH"))
    assert out["origin_circumvention"].iloc[0] == pytest.approx(0.9 * 0.7)  # ...but growing
    assert "origin TH is growing for these goods" in out["origin_reason"].iloc[0]


def test_preference_claims_outside_the_agreement():
    base = pd.concat([history(), items(30, prefix="G", commodity_code="07032000", origin_country="AR", duty_rate=60.0)])
    fitted = OriginScreen(config=CONFIG).fit(base)
    frame = items(5, prefix="S", start="2025-06-01",
                  commodity_code=["73181595", "73181595", "07032000", "73181595", "73181595"],
                  origin_country=["CN", "VN", "TR", "TW", "TW"],
                  preference_claim=["EU-VN-FTA", "EU-VN-FTA", "EU-TR-CU", "XX-FTA", np.nan], duty_rate=0.0)
    out = fitted.score(frame)
    assert out["origin_preference"].tolist() == pytest.approx([0.9, 0.0, 0.9, 0.9, 0.0])
    reason = out["origin_reason"]
    assert "preference EU-VN-FTA claimed for origin CN, whose partners do not include origin CN" in reason.iloc[0]
    assert "preference EU-TR-CU claimed for origin TR, which does not cover chapter 07 (saves 60.0% duty)" \
        in reason.iloc[2]
    assert "XX-FTA claimed for origin TW, which is not a configured agreement" in reason.iloc[3]
    # duty the preference saves: the conventional rate learned from plain (no claim, no A30) imports
    assert fitted.conventional_rate_["73181595"] == pytest.approx(3.7)  # the CN rows carry A30
    assert out["origin_duty_at_risk"].iloc[0] == pytest.approx(2000.0 * 0.037)
    assert out["origin_duty_at_risk"].iloc[2] == pytest.approx(2000.0 * 0.60)
    configured = OriginScreen(config=CONFIG.model_copy(update={"conventional_rates": {"7318": 2.0}})).fit(base)
    assert configured.score(frame)["origin_duty_at_risk"].iloc[0] == pytest.approx(2000.0 * 0.02)


def test_importer_switch_as_of_each_declaration():
    past = items(4, prefix="P", importer="IMP9", origin_country="CN", duty_rate=58.7)
    after = items(3, prefix="F", start="2025-08-01", importer="IMP9", origin_country="MY", duty_rate=3.7)
    fitted = OriginScreen(config=CONFIG).fit(pd.concat([history(), past, after]), as_of="2025-07-01")
    # the importer's MY declarations of August are not known at as_of: the first MY declaration is a switch
    frame = items(3, prefix="S", start="2025-07-10", importer="IMP9", origin_country="MY", duty_rate=3.7)
    frame.loc[2, "importer_id"] = "IMP8"  # no history at all
    out = fitted.score(frame)
    assert out["origin_switch"].tolist() == pytest.approx([0.3, 0.0, 0.0])  # the second one follows the first
    assert out["origin_duty_at_risk"].iloc[0] == pytest.approx(2000.0 * 0.55)  # max(switch 55 %, measure 55 %)
    assert "importer IMP9 switched to origin MY for 731815 after 4 earlier declarations from other origins " \
           "(duty 58.7% on average before, 3.7% now)" in out["origin_reason"].iloc[0]
    # rows are judged as of their own date, whatever the order of the frame
    reversed_out = fitted.score(frame.iloc[::-1])
    pd.testing.assert_frame_equal(reversed_out.loc[out.index], out)
    # the same declarations scored again after refitting on them are not counted twice
    refit = OriginScreen(config=CONFIG).fit(pd.concat([history(), past, frame]))
    assert refit.score(frame)["origin_switch"].tolist() == pytest.approx([0.3, 0.0, 0.0])


def test_unusual_origin_that_pays_less():
    base = items(40, prefix="R", commodity_code="40114000", origin_country=["CN", "IN"] * 20, duty_rate=4.0)
    fitted = OriginScreen(config=CONFIG).fit(base)
    frame = items(3, prefix="S", start="2025-06-01", commodity_code="40114000", origin_country=["BD", "BD", "IN"],
                  duty_rate=[0.0, 4.0, 4.0], preference_claim=["GSP-EBA", np.nan, np.nan])
    out = fitted.score(frame)
    assert out["origin_unusual_origin"].tolist() == pytest.approx([0.8, 0.0, 0.0])  # gap 4 of scale 5
    assert out["origin_duty_at_risk"].iloc[0] == pytest.approx(2000.0 * 0.04)
    assert "origin BD is rare for 401140 (0.0% of 40 earlier imports) and pays 0.0% duty against 4.0% usually" \
        in out["origin_reason"].iloc[0]


def test_found_false_origins_are_left_out_of_the_statistics():
    base = pd.concat([history(), items(10, prefix="M", origin_country="MY")])
    outcomes = pd.DataFrame({"declaration_id": [f"M{i:05d}" for i in range(10)], "inspection_date": "2025-01-20",
                             "control_type": "documentary", "selection_reason": "risk", "result": "discrepancy",
                             "infringement": "false_origin", "duty_recovered": 1.0})
    assert ("731815", "MY") not in OriginScreen(config=CONFIG).fit(base, outcomes).origin_shares_.index
    assert ("731815", "MY") in OriginScreen(config=CONFIG).fit(base).origin_shares_.index


def test_as_of_never_uses_later_rows():
    later = items(50, prefix="Z", start="2025-09-01", origin_country="MY", dispatch_country="BD")
    seen = OriginScreen(config=CONFIG).fit(pd.concat([history(), later]), as_of="2025-09-01")
    alone = OriginScreen(config=CONFIG).fit(history(), as_of="2025-09-01")
    frame = items(2, prefix="S", start="2025-09-02", origin_country="MY", dispatch_country=["BD", "MY"],
                  importer="IMPC0001")
    pd.testing.assert_frame_equal(seen.score(frame), alone.score(frame))
    pd.testing.assert_series_equal(seen.origin_counts_, alone.origin_counts_)


def test_missing_fields_are_scored_by_what_is_available():
    frame = items(3, prefix="S", start="2025-06-01", origin_country="MY", duty_rate=3.7)
    frame.loc[0, "dispatch_country"] = None
    frame.loc[1, "origin_country"] = np.nan
    frame.loc[2, "duty_rate"] = np.nan
    out = screen().score(frame)
    reason = out["origin_reason"]
    assert np.isnan(out["origin_route"].iloc[0]) and out["origin_circumvention"].iloc[0] == pytest.approx(0.9)
    assert "not checked: origin against dispatch route (missing dispatch_country)" in reason.iloc[0]
    assert "possible circumvention" in reason.iloc[0]
    assert "not checked: origin against dispatch route (missing origin_country)" in reason.iloc[1]
    assert "not checked: circumvention of trade-defence measures (missing origin_country)" in reason.iloc[1]
    assert np.isnan(out["origin_score"].iloc[1])  # every check needs the origin
    assert np.isnan(out["origin_unusual_origin"].iloc[2])
    assert "not checked: unusual origin for the goods (missing duty_rate)" in reason.iloc[2]
    # the same notes as codes (after the findings, as in the text): the check and the missing fields
    codes = out["origin_codes"]
    assert [r["code"] for r in codes.iloc[0]][0] == "origin.circumvention_new"
    assert codes.iloc[0][-1] == {"code": "origin.not_checked.missing",
                                 "params": {"check": "route", "fields": ["dispatch_country"]}}
    assert {"check": "circumvention", "fields": ["origin_country"]} in [r["params"] for r in codes.iloc[1]]
    assert all(r["code"] == "origin.not_checked.missing" for r in codes.iloc[1])
    assert codes.iloc[2][-1]["params"] == {"check": "unusual_origin", "fields": ["duty_rate"]}
    assert out["origin_circumvention"].iloc[2] == pytest.approx(0.9)
    nothing = screen().score(frame[["declaration_id"]])
    assert nothing["origin_score"].isna().all()


def test_default_config_suits_the_synthetic_world():
    from smartcustoms.world.catalogue import ANTI_DUMPING, PREFERENCES

    config = OriginConfig()
    for country, (code, agricultural) in PREFERENCES.items():
        assert country in config.agreements[code].partners
        assert (config.agreements[code].chapters is None) == agricultural
    assert {(code, country): rates[country] for code, rates in config.measures.items() for country in rates} \
        == ANTI_DUMPING


def test_quality_on_a_generated_world():
    from smartcustoms.world import WorldConfig, generate

    world = generate(WorldConfig(declarations=30_000, seed=3))
    d, cut = world.declarations, pd.Timestamp("2025-10-01")
    test = d[d["acceptance_datetime"] >= cut]
    out = OriginScreen().fit(d, world.inspections, as_of=cut).score(test)
    assert out.index.equals(test.index)
    per_declaration = to_declarations(test, out, "origin")
    table = capture_at_budget(per_declaration["origin_score"], world.truth, budgets=(0.05,))
    false_origin = table.set_index("fraud_type").loc["false_origin"]
    assert false_origin["recall"] >= 0.5  # random selection would catch 5 %
    assert false_origin["precision"] >= 0.08  # false origin is about 1 % of declarations


# --- one declaration at a time: the same results as the batch ---------------------------------------------------

def test_small_frame_route_gives_the_batch_results(monkeypatch, generated):  # noqa: F811
    history, outcomes, _, frame = generated
    screen = OriginScreen().fit(history, outcomes)
    plain_python(monkeypatch, True)
    small = screen.score(frame)
    plain_python(monkeypatch, False)
    pd.testing.assert_frame_equal(small, screen.score(frame), check_exact=True)


def test_one_declaration_at_a_time_equals_the_batch(generated):  # noqa: F811
    history, outcomes, frame, _ = generated
    screen = OriginScreen().fit(history, outcomes)
    # one declaration per importer: no declaration of the frame is then earlier history for another one
    first = frame.drop_duplicates("importer_id")["declaration_id"]
    frame = frame[frame["declaration_id"].isin(first)]
    batch = screen.score(frame)
    assert (batch["origin_score"] > 0).sum() > 10  # the frame has findings
    alone = pd.concat([screen.score(one) for _, one in frame.groupby("declaration_id", sort=False)])
    pd.testing.assert_frame_equal(alone.loc[frame.index], batch, check_exact=True)


def test_history_rows_scored_again_count_once(generated):  # noqa: F811
    history, outcomes, _, frame = generated
    screen = OriginScreen().fit(history, outcomes)
    # the importers' last history declarations scored again with the frame: the frame's rows see them once
    last = history[history["importer_id"].isin(frame["importer_id"])].groupby("importer_id")["declaration_id"].tail(3)
    again = history[history["declaration_id"].isin(last)]
    together = screen.score(pd.concat([again, frame])).loc[frame.index]
    pd.testing.assert_frame_equal(together, screen.score(frame))
    assert (together["origin_switch"] > 0).any()


def test_running_sums_in_plain_python_add_up_as_pandas_does():
    from smartcustoms.risk.origin import _running_sums

    rng = np.random.default_rng(3)
    for _ in range(200):  # long groups of decimals, where a plain running sum drifts from pandas' compensated one
        n = int(rng.integers(1, 64))
        weight = np.round(rng.random(n) * rng.choice([1.0, 100.0, 1e6]), int(rng.integers(0, 6)))
        group = rng.integers(0, int(rng.integers(1, 6)), n)
        expected = pd.Series(weight).groupby(group, sort=False).cumsum().to_numpy()
        np.testing.assert_array_equal(_running_sums(weight, group), expected)
