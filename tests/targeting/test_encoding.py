"""Out-of-time target encoding: a row sees only labels of strictly earlier dates, never its own."""

import numpy as np
import pandas as pd
import pytest

from smartcustoms.targeting.encoding import (
    encoding_totals,
    key_totals,
    out_of_time_stats,
    out_of_time_target_encoding,
)


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


def _history_and_later(seed=11, n=600):
    """Rows of 40 days, split into a history (days 0-29) and later rows (days 30-39), with missing key values and
    keys that only the later rows have."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({
        "date": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 40, n), unit="D"),
        "key": rng.choice(["a", "b", "c", None], n),
        "other": rng.choice(["x", "y"], n),
        "v": rng.normal(3.0, 2.0, n),
        "y": rng.choice([0.0, 1.0, np.nan], n),
    })
    late = data["date"] >= "2020-01-31"
    data.loc[late & (rng.random(n) < 0.1), "key"] = "new"
    return data, data.loc[~late], data.loc[late]


def test_history_totals_as_base_equal_one_call_over_the_whole():
    """Counting the history once (`key_totals`) and adding it to later rows gives what one call over history +
    later rows gives those rows: exactly for counts, to rounding for sums of other values."""
    data, history, later = _history_and_later()
    for keys in ("key", ["key", "other"]):
        whole = out_of_time_stats(data, keys, date="date", label="y").loc[later.index]
        split = out_of_time_stats(later, keys, date="date", label="y", base=key_totals(history, keys, label="y"))
        pd.testing.assert_frame_equal(split, whole, check_exact=True)
        whole = out_of_time_stats(data, keys, date="date", label="v").loc[later.index]
        split = out_of_time_stats(later, keys, date="date", label="v", base=key_totals(history, keys, label="v"))
        pd.testing.assert_frame_equal(split, whole, check_exact=False, rtol=0, atol=1e-12)
    keys = ["key", ("key", "other")]
    whole = out_of_time_target_encoding(data, keys, date="date", label="y").loc[later.index]
    split = out_of_time_target_encoding(later, keys, date="date", label="y",
                                        base=encoding_totals(history, keys, label="y"))
    pd.testing.assert_frame_equal(split, whole, check_exact=True)
    # the test has teeth: without the history, later rows know less
    assert not out_of_time_target_encoding(later, keys, date="date", label="y").equals(split)


def test_sums_of_prices_keep_their_precision_beside_a_long_history():
    """A small key's running sum does not carry the rounding error of every other key's sum."""
    big = pd.DataFrame({"date": pd.to_datetime("2020-01-01") + pd.to_timedelta(np.arange(200_000) % 300, unit="D"),
                        "key": np.arange(200_000) % 7, "v": 1e6 + np.arange(200_000) / 3})
    small = pd.DataFrame({"date": pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-04"]), "key": -1,
                          "v": [0.1, 0.2, 0.3]})
    stats = out_of_time_stats(pd.concat([big, small], ignore_index=True), "key", date="date", label="v")
    assert stats["positives"].iloc[-3:].tolist() == [0.0, 0.1, 0.1 + 0.2]


@pytest.mark.parametrize("keys, days", [(5, 30), (5_000, 30), (5, None)])
def test_stats_equal_a_count_by_hand_whichever_way_the_rows_are_grouped(keys, days):
    """The (key, day) groups come from a table of pairs (few keys), one sort of key and day as one number (many
    keys) or a sort of both (a missing date: days too far apart for one number); all count the same, with and
    without a history counted once."""
    rng = np.random.default_rng(keys)
    n = 3000
    day = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, days or 30, n), unit="D")
    data = pd.DataFrame({"date": day, "key": rng.integers(0, keys, n) * 7 - 3,
                         "v": rng.integers(-8, 8, n) / 4, "y": rng.choice([0.0, 1.0, np.nan], n)})
    if days is None:
        data.loc[::50, "date"] = pd.NaT
    history = data.iloc[:200].assign(date=pd.Timestamp("2019-12-01"))
    base = key_totals(history, "key", label="v")
    stats = out_of_time_stats(data, "key", date="date", label="v", base=base)
    counted = out_of_time_stats(data, "key", date="date", label="y")
    when = data["date"].to_numpy().astype("datetime64[D]").astype(np.int64)  # a missing date: before any other
    for i in rng.choice(n, 200, replace=False):
        earlier = (data["key"] == data["key"].iloc[i]).to_numpy() & (when < when[i])
        past = history["key"] == data["key"].iloc[i]
        assert stats["seen"].iloc[i] == earlier.sum() + past.sum()
        assert stats["positives"].iloc[i] == data["v"].to_numpy()[earlier].sum() + history["v"][past].sum()
        assert counted["positives"].iloc[i] == np.nansum(data["y"].to_numpy()[earlier])
