"""Out-of-time target encoding: a row sees only labels of strictly earlier dates, never its own."""

import numpy as np
import pandas as pd
import pytest

from smartcustoms.targeting.encoding import out_of_time_stats, out_of_time_target_encoding


def frame():
    return pd.DataFrame({
        "date": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-02", "2020-01-03", "2020-01-03", "2020-01-04"]),
        "importer": ["A", "A", "A", "B", "A", "A"],
        "hs": ["01", "01", "02", "01", "01", "02"],
        "y": [1.0, 0.0, 1.0, 1.0, np.nan, 1.0],  # the fifth row is not yet inspected
    })


def test_stats_count_only_strictly_earlier_dates_of_the_same_key():
    stats = out_of_time_stats(frame(), "importer", date="date", label="y")
    # A rows: day 1 sees nothing; both day-2 rows see day 1 only (not each other, not themselves);
    # the day-3 A row sees days 1-2; day 4 sees days 1-3, where the day-3 row has no label yet.
    assert stats["seen"].tolist() == [0, 1, 1, 0, 3, 4]
    assert stats["labelled"].tolist() == [0, 1, 1, 0, 3, 3]
    assert stats["positives"].tolist() == [0, 1, 1, 0, 2, 2]


def test_encoding_by_hand_with_a_fixed_prior():
    enc = out_of_time_target_encoding(frame(), ["importer", ("importer", "hs")], date="date", label="y",
                                      smoothing=1.0, prior=0.5)
    # importer A on day 2: one earlier label (1) -> (1 + 0.5) / (1 + 1)
    assert enc["te:importer"].tolist() == pytest.approx([0.5, 0.75, 0.75, 0.5, 2.5 / 4, 2.5 / 4])
    # (A, 02) on day 4 sees the day-2 (A, 02) row only
    assert enc["te:importer*hs"].iloc[5] == pytest.approx(1.5 / 2)
    assert enc["n:importer*hs"].tolist() == [0, 1, 0, 0, 2, 1]
    assert enc["seen:importer*hs"].tolist() == [0, 1, 0, 0, 2, 1]


def test_a_row_never_sees_its_own_label_or_later_labels():
    rng = np.random.default_rng(7)
    n = 400
    data = pd.DataFrame({
        "date": pd.to_datetime("2020-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 60, n)), unit="D"),
        "key": rng.choice(list("abcde"), n),
        "other": rng.choice(list("xy"), n),
    })
    # The label *is* the key's future: an encoding that peeked at its own or later labels would see it.
    data["y"] = (data["key"].isin(["a", "b"]) ^ (data["date"] >= "2020-02-01")).astype(float)
    keys = ["key", ("key", "other")]
    before = out_of_time_target_encoding(data, keys, date="date", label="y")

    # Flip every label from 2020-02-01 on: nothing dated up to that day may change (its own label included).
    flipped = data.assign(y=np.where(data["date"] >= "2020-02-01", 1 - data["y"], data["y"]))
    after = out_of_time_target_encoding(flipped, keys, date="date", label="y")
    upto = (data["date"] <= "2020-02-01").to_numpy()
    pd.testing.assert_frame_equal(before[upto], after[upto])
    assert not before[~upto].equals(after[~upto])  # later rows do see the flipped past

    # Unknown labels count as traffic, never as outcomes.
    hidden = data.assign(y=np.where(data["date"] >= "2020-02-01", np.nan, data["y"]))
    masked = out_of_time_target_encoding(hidden, keys, date="date", label="y")
    pd.testing.assert_frame_equal(before[upto], masked[upto])
    assert (masked["seen:key"] >= masked["n:key"]).all()


def test_row_order_does_not_matter():
    data = frame()
    enc = out_of_time_target_encoding(data, ["importer"], date="date", label="y")
    shuffled = data.sample(frac=1.0, random_state=3)
    again = out_of_time_target_encoding(shuffled, ["importer"], date="date", label="y")
    pd.testing.assert_frame_equal(enc, again.loc[enc.index])
