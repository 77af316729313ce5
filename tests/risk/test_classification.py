"""Classification screening: descriptions that contradict the declared code, tariff hops, graceful gaps."""

import numpy as np
import pandas as pd
import pytest

from smartcustoms.risk.classification import ClassificationScreen
from smartcustoms.world import WorldConfig, generate

SHOES, TOYS, BAGS = "64039996", "95030075", "42022290"
RATES = {SHOES: 8.0, TOYS: 4.7, BAGS: 2.7}
WORDING = {
    SHOES: ["mens leather shoes", "leather boots for men", "ladies leather shoes", "leather shoe lace-up",
            "mens leather boots", "leather footwear"],
    TOYS: ["plastic toy car", "plush toy bear", "toy building blocks", "plastic toys assorted", "kids toy robot",
           "toy doll"],
    BAGS: ["canvas bag", "cotton tote bag", "shopping bag textile", "canvas backpack", "jute bag", "canvas tote"],
}
FAST = {"ngram_range": (3, 4), "max_iter": 200}


def frame(rows: list[tuple], start: str = "2025-01-06") -> pd.DataFrame:
    """Goods items from (description, code) or (description, code, duty rate) tuples, one a day."""
    table = pd.DataFrame({
        "declaration_id": [f"D{i:05d}" for i in range(len(rows))],
        "acceptance_datetime": pd.date_range(start, periods=len(rows), freq="h"),
        "item_number": 1,
        "goods_description": pd.Series([r[0] for r in rows], dtype="str"),
        "commodity_code": [r[1] for r in rows],
        "origin_country": "CN",
        "preference_claim": pd.Series([None] * len(rows), dtype="str"),
        "customs_value": 10_000.0,
        "duty_rate": [r[2] if len(r) > 2 else RATES[r[1]] for r in rows],
    })
    return table


@pytest.fixture(scope="module")
def history():
    rows = [(text, code) for code, texts in WORDING.items() for text in texts for _ in range(6)]
    return frame(rows)


@pytest.fixture(scope="module")
def screen(history):
    return ClassificationScreen(**FAST).fit(history)


def test_shoes_declared_as_toys_are_flagged_with_the_tariff_hop(screen):
    scored = screen.score(frame([("mens leather shoes", TOYS), ("plastic toy car", TOYS)]))
    hop, honest = scored.iloc[0], scored.iloc[1]
    assert hop["classification_score"] > 0.7
    assert hop["classification_duty_at_risk"] == pytest.approx(10_000 * (8.0 - 4.7) / 100)
    assert "reads as 64039996" in hop["classification_reason"]
    assert "declared 95030075" in hop["classification_reason"]
    assert "8.0% duty against 4.7% declared" in hop["classification_reason"]
    assert honest["classification_score"] < 0.05
    assert honest["classification_duty_at_risk"] == 0
    assert honest["classification_reason"] == ""


def test_a_lower_duty_reading_scores_lower_and_has_no_duty_at_risk(screen):
    """Shoes declared as shoes but worded as a bag: inconsistent, yet the likely code carries less duty."""
    scored = screen.score(frame([("canvas tote bag", SHOES), ("mens leather shoes", TOYS)]))
    assert scored["classification_duty_at_risk"].iloc[0] == 0
    assert 0 < scored["classification_score"].iloc[0] < scored["classification_score"].iloc[1]


def test_missing_descriptions_and_codes_are_not_checked(screen):
    test = frame([("mens leather shoes", TOYS)] * 4)
    test.loc[1, "goods_description"] = np.nan
    test.loc[2, "goods_description"] = "   "
    test.loc[3, "commodity_code"] = "ABC"
    scored = screen.score(test)
    assert scored["classification_score"].iloc[0] > 0.7
    assert scored["classification_score"].iloc[1:].isna().all()
    assert list(scored["classification_reason"].iloc[1:]) == [
        "not checked: no description", "not checked: no description", "not checked: no valid commodity code"]
    assert (scored["classification_duty_at_risk"].iloc[1:] == 0).all()
    # the same notes as codes, beside the English text (pages write them in the reader's words)
    assert [[r["code"] for r in codes] for codes in scored["classification_codes"].iloc[1:]] == [
        ["classification.not_checked.no_description"], ["classification.not_checked.no_description"],
        ["classification.not_checked.no_code"]]
    assert scored["classification_codes"].iloc[0][0]["code"] == "classification.reads_as"


def test_unseen_codes_compare_one_level_up_or_are_not_checked(screen):
    # 95030099 is not a class, but heading 9503 is known: toy wording is consistent with it
    scored = screen.score(frame([("plastic toy car", "95030099", 4.7), ("mens leather shoes", "95030099", 4.7),
                                 ("mens leather shoes", "01012100", 0.0)]))
    assert scored["classification_score"].iloc[0] < 0.05
    assert scored["classification_score"].iloc[1] > 0.7
    assert "reads as 640399" in scored["classification_reason"].iloc[1]
    assert np.isnan(scored["classification_score"].iloc[2])
    assert scored["classification_reason"].iloc[2].startswith("not checked: heading 0101")
    assert scored["classification_codes"].iloc[2] == [{"code": "classification.not_checked.no_history",
                                                       "params": {"heading": "0101"}}]


def test_placeholder_descriptions_keep_the_score_low(history):
    placeholder = "not given in the source dataset"
    # the placeholder stands for every kind of goods, shoes most often
    rows = [(placeholder, SHOES)] * 25 + [(placeholder, TOYS)] * 15 + [(placeholder, BAGS)] * 10
    screen = ClassificationScreen(**FAST).fit(pd.concat([history, frame(rows)], ignore_index=True))
    scored = screen.score(frame([(placeholder, code) for code in WORDING]))
    assert scored["classification_score"].notna().all()
    assert (scored["classification_score"] < 0.35).all()
    assert (scored["classification_reason"] == "").all()
    # a real description of the same model still reads clearly
    assert screen.score(frame([("mens leather shoes", TOYS)]))["classification_score"].iloc[0] > 0.7


def test_index_is_kept_and_the_same_text_scores_the_same_everywhere(screen):
    test = frame([("mens leather shoes", TOYS), ("plastic toy car", TOYS)] * 3)
    test.index = [f"row{i}" for i in range(len(test))]
    scored = screen.score(test)
    assert list(scored.index) == list(test.index)
    assert scored["classification_score"].iloc[::2].nunique() == 1


@pytest.mark.parametrize("infringement", ["misclassification", "classification", "valuation,classification"])
def test_found_misclassifications_are_left_out_of_training(history, infringement):
    # a trader kept declaring shoes as toys; controls found it: those items must not teach the model (whether the
    # outcome names it in the world's words, the control chain's, or among several infringements)
    fraud = frame([("mens leather shoes", TOYS)] * 40, start="2025-02-01")
    fraud["declaration_id"] = [f"F{i:05d}" for i in range(len(fraud))]
    outcomes = pd.DataFrame({"declaration_id": fraud["declaration_id"], "inspection_date": pd.Timestamp("2025-03-01"),
                             "result": "discrepancy", "infringement": infringement})
    combined = pd.concat([history, fraud], ignore_index=True)
    test = frame([("mens leather shoes", TOYS)])
    learned = ClassificationScreen(**FAST).fit(combined).score(test)["classification_score"].iloc[0]
    cleaned = ClassificationScreen(**FAST).fit(combined, outcomes).score(test)["classification_score"].iloc[0]
    assert cleaned > 0.7 > learned
    # an outcome dated after as_of is unknown at that date: the items stay in
    late = ClassificationScreen(**FAST).fit(combined, outcomes, as_of="2025-02-20").score(test)
    assert late["classification_score"].iloc[0] < 0.7


def test_save_and_load(screen, tmp_path):
    test = frame([("mens leather shoes", TOYS), ("plastic toy car", TOYS)])
    path = screen.save(tmp_path / "models" / "classification.joblib")
    loaded = ClassificationScreen.load(path)
    pd.testing.assert_frame_equal(loaded.score(test), screen.score(test))


def test_on_a_generated_world_misclassification_is_found_far_above_random():
    world = generate(WorldConfig(declarations=8_000, seed=11))
    cut = pd.Timestamp("2025-10-01")
    declarations = world.declarations
    test = declarations[declarations["acceptance_datetime"] >= cut]
    screen = ClassificationScreen(**FAST, max_features=2_000).fit(declarations, world.inspections, as_of=cut)
    scores = screen.score(test)["classification_score"].fillna(0)
    per_declaration = scores.groupby(test["declaration_id"].to_numpy()).max()
    truth = world.truth.set_index("declaration_id")["fraud_type"].loc[per_declaration.index]
    budget = int(0.05 * len(per_declaration))
    selected = per_declaration.sort_values(ascending=False, kind="stable").index[:budget]
    recall = (truth.loc[selected] == "misclassification").sum() / (truth == "misclassification").sum()
    assert (truth == "misclassification").sum() >= 20
    assert recall >= 0.6  # random selection would find about 0.05


def test_few_rows_score_exactly_as_in_a_batch(monkeypatch):
    from smartcustoms.risk import classification

    world = generate(WorldConfig(declarations=3_000, seed=5))
    cut = pd.Timestamp("2025-10-01")
    rows = world.declarations
    screen = ClassificationScreen(**FAST, max_features=2_000).fit(rows, world.inspections, as_of=cut)
    test = rows[rows["acceptance_datetime"] >= cut].head(120).copy()
    test.iloc[0, test.columns.get_loc("goods_description")] = None
    test.iloc[1, test.columns.get_loc("commodity_code")] = "12AB"
    test.iloc[2, test.columns.get_loc("goods_description")] = "Bière  Étoile 12345-x; ÄÖ"
    test.iloc[3, test.columns.get_loc("commodity_code")] = "99887766"
    monkeypatch.setattr(classification, "SMALL", 0)  # the batch path
    batch = screen.score(test)
    monkeypatch.setattr(classification, "SMALL", 10**9)  # the row-by-row path, on the whole frame
    pd.testing.assert_frame_equal(screen.score(test), batch)
    monkeypatch.undo()
    one_by_one = pd.concat([screen.score(test.iloc[[i]]) for i in range(len(test))])
    pd.testing.assert_frame_equal(one_by_one, batch)
    assert batch["classification_reason"].str.len().gt(0).sum() >= 4


def test_few_texts_get_the_vectorizers_probabilities_exactly(screen):
    from smartcustoms.risk.classification import _normalise_one

    texts = ["mens leather shoes", "toy toy toy toy", "canvas bag", "Bière Étoile 12345", "qqqq zzzz", "", "x",
             "leather shoes for men plastic toy car canvas tote bag jute bag"]
    texts = np.array([_normalise_one(text) for text in texts], dtype=object)
    np.testing.assert_array_equal(screen._proba(texts, few=True), screen._proba(texts))  # bit for bit
    for i in range(len(texts)):
        np.testing.assert_array_equal(screen._proba(texts[[i]], few=True), screen._proba(texts[[i]]))
    assert screen._few_features(texts[[4]]).nnz == 0  # nothing of the vocabulary: the intercepts alone


def test_a_batch_reads_the_probabilities_kept_for_the_historys_texts(screen, monkeypatch):
    """``fit`` keeps p(code | text) of the history's texts; a batch reads them (only the other texts are cut into
    n-grams) and scores exactly as when everything is computed."""
    from smartcustoms.risk import classification

    assert "mens leather shoes" in screen.seen_texts_
    test = frame([("Mens  leather shoes", TOYS), ("plastic toy car", TOYS), ("canvas rucksack", BAGS),
                  ("leather footwear", SHOES), ("plush toy bear", SHOES)] * 3)
    monkeypatch.setattr(classification, "SMALL", 0)  # the batch path
    transformed = []
    transform = screen.vectorizer_.transform
    monkeypatch.setattr(screen.vectorizer_, "transform", lambda texts: transformed.append(list(texts))
                        or transform(texts), raising=False)
    batch = screen.score(test)
    assert transformed == [["canvas rucksack"]]
    monkeypatch.setattr(screen, "seen_texts_", None)
    pd.testing.assert_frame_equal(screen.score(test), batch, check_exact=True)
    assert len(transformed) == 2
