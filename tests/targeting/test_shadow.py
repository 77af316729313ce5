"""Shadow scoring on a hand-made case: the figures per model can be counted by hand."""

import numpy as np
import pandas as pd
import pytest

from smartcustoms.targeting.shadow import shadow_table


class Fixed:
    """A stand-in scorer with fixed scores (the table only needs predict_proba's "score")."""

    def __init__(self, scores):
        self.scores = np.asarray(scores, dtype=float)

    def predict_proba(self, frame):
        return pd.DataFrame({"score": self.scores}, index=frame.index)


def test_top_sets_hits_and_overlap_are_counted():
    # 10 declarations; 1, 2, 3 controlled and found, 4 controlled and clean, the rest never controlled
    labels = [1, 1, 1, 0] + [np.nan] * 6
    features = pd.DataFrame({"label_fraud": labels})
    champion = Fixed([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])  # top 2: rows 0, 1
    challenger = Fixed([1, 9, 2, 10, 3, 4, 5, 6, 7, 8])  # top 2: rows 3, 1
    table = shadow_table(features, {"A": ("champion", champion), "B": ("challenger", challenger)}, budget=0.2)
    a, b = table.set_index("model").loc["A"], table.set_index("model").loc["B"]
    assert (a["top"], a["controlled_in_top"], a["hits_in_top"], a["hit_rate_in_top"]) == (2, 2, 2, 1.0)
    assert (b["controlled_in_top"], b["hits_in_top"], b["hit_rate_in_top"]) == (2, 1, 0.5)
    assert a["overlap_with_champion"] == 1.0 and b["overlap_with_champion"] == 0.5
    assert a["auc_on_controlled"] == 1.0  # found ones outrank the clean one
    assert b["auc_on_controlled"] == pytest.approx(0.0)  # the clean one (score 10) outranks every found one
    assert table["model"].tolist() == ["A", "B"]


def test_bad_budget_and_empty_frames_are_refused():
    with pytest.raises(ValueError, match="budget"):
        shadow_table(pd.DataFrame({"label_fraud": [1.0]}), {}, budget=0)
    with pytest.raises(ValueError, match="no declarations"):
        shadow_table(pd.DataFrame({"label_fraud": []}), {}, budget=0.1)
