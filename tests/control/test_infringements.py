"""One vocabulary for what controls found: the control chain's types, the world's fraud names, comma lists."""

import pandas as pd

from smartcustoms.outcomes.infringements import found, kinds


def test_kinds_split_lists_and_map_fraud_names():
    assert kinds("valuation, origin") == {"valuation", "origin"}
    assert kinds("undervaluation") == {"valuation"}
    assert kinds("false_origin,prohibited_goods") == {"origin", "prohibited"}
    assert kinds("") == set() and kinds(None) == set() and kinds(float("nan")) == set()


def test_found_matches_either_vocabulary():
    outcomes = pd.Series(["undervaluation", "valuation,origin", "classification", "", None])
    assert found(outcomes, "valuation").tolist() == [True, True, False, False, False]
    assert found(outcomes, ["undervaluation"]).tolist() == [True, True, False, False, False]
    assert found(outcomes, ("origin", "misclassification")).tolist() == [False, True, True, False, False]
