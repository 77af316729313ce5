"""Declaration-level features for the targeting model, each computed as of the declaration's own date.

`declaration_features(declarations, outcomes, as_of=None)` turns a declarations frame (goods-item rows,
``smartcustoms.declarations.models.FIELDS``) and an outcomes frame (see ``smartcustoms.risk``) into one row
per declaration (index ``declaration_id``).

The time rule (ARCHITECTURE.md, "Time is explicit"):

- A declaration's day is the calendar day of its ``acceptance_datetime``.
- An outcome becomes known on the day of its ``inspection_date`` (never earlier than the day of the declaration
  it belongs to). A declaration sees an outcome only when that day is **strictly before** its own day, so it
  never sees its own outcome, nor those of declarations decided on the same day or later.
- Traffic statistics (earlier declarations of an importer, reference unit prices) use only declarations of
  strictly earlier days.
- ``as_of``: outcomes with an inspection date on or after ``as_of`` are ignored entirely (not yet known), in
  the features and in the label columns. Rows on or after ``as_of`` are still featurised (as of their own date,
  with the knowledge available at ``as_of``), which is how rows to score are prepared.

Every statistic is a sum over earlier rows (or, for ``days_since_importer``, a latest earlier day), so a history
can be counted once: ``history_totals(history, outcomes, as_of)`` keeps those sums per key, and
``declaration_features(rows, outcomes, as_of, base=totals)`` featurises ``rows`` alone and adds them. When every
row is dated after the history and its outcomes (``totals.last_day``), the features equal those of one call over
``pd.concat([history, rows])`` (counts and rates exactly, unit price statistics up to rounding).

Label columns (targets, never features): ``label_fraud`` (1 when the control found a discrepancy, 0 when it
found none, NaN when the declaration was not controlled, or not before ``as_of``) and ``label_revenue`` (duty
recovered, NaN when not controlled). ``label_random`` says whether the control came from the random sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from smartcustoms.targeting.encoding import (
    encoding_totals,
    key_codes,
    key_name,
    key_totals,
    out_of_time_stats,
    target_encoding_columns,
)

DATE = "_day"
LABEL_COLUMNS = ["label_fraud", "label_revenue", "label_random"]
# columns that are returned for information (exploration, explanations) and are not model inputs
INFO_COLUMNS = ["declaration_date"]

# out-of-time fraud rate of these header keys (one value per declaration)
HEADER_KEYS: list[tuple[str, ...]] = [
    ("importer_id",), ("declarant_id",), ("seller_id",), ("office_id",), ("dispatch_country",),
    ("declarant_id", "importer_id"), ("importer_id", "office_id"), ("declarant_id", "office_id"),
    # declared attributes (WCO DM procedure, national import type and use, payment, express carrier)
    ("requested_procedure",), ("import_type",), ("import_use",), ("payment_method",), ("carrier_id",),
    ("seller_id", "importer_id"),
]
# ... and of these item keys (per goods item, the declaration takes the highest). The goods-profile
# combinations (HS6 x origin x dispatch x tax type x rate, x office, x payment, x procedure) are those that
# carried the KCS benchmark's model; they are at home here, where every declaration's features are built.
ITEM_KEYS: list[tuple[str, ...]] = [
    ("hs6",), ("hs4",), ("chapter",), ("origin_country",),
    ("hs6", "origin_country"), ("importer_id", "hs6"), ("declarant_id", "hs6"), ("hs4", "origin_country"),
    ("tax_type",), ("office_id", "hs4"), ("hs6", "tax_type"), ("hs6", "dispatch_country"), ("hs6", "duty_rate"),
    ("hs6", "origin_country", "dispatch_country"), ("hs6", "origin_country", "tax_type"),
    ("hs6", "origin_country", "office_id"), ("hs6", "origin_country", "payment_method"),
    ("hs6", "origin_country", "requested_procedure"), ("hs4", "origin_country", "tax_type"),
    ("hs6", "origin_country", "dispatch_country", "tax_type"),
    ("hs6", "origin_country", "dispatch_country", "tax_type", "duty_rate"),
    ("importer_id", "origin_country"), ("declarant_id", "origin_country"), ("seller_id", "hs6"),
]
# optional declared fields: a frame without them (older sources) reads them as missing
OPTIONAL_COLUMNS = ["requested_procedure", "previous_procedure", "additional_procedures", "import_type",
                    "import_use", "payment_method", "carrier_id", "attributes", "seller_id", "tax_type"]
# reference unit prices: most specific first (units never mixed)
PRICE_KEYS: list[tuple[str, ...]] = [
    ("hs6", "origin_country", "quantity_unit"), ("hs6", "quantity_unit"), ("hs4", "quantity_unit"),
]
SMOOTHING = 10.0
MIN_PRICE_PEERS = 5
ALL_KEYS = list(dict.fromkeys([*HEADER_KEYS, *ITEM_KEYS, *PRICE_KEYS]))
PRICE_NAMES = [key_name(k) for k in PRICE_KEYS]
KEY_COLUMNS = sorted({k for ks in ALL_KEYS for k in ks})

# plain words for feature names, used by explanations
_WORDS = {
    "importer_id": "importer", "declarant_id": "declarant", "seller_id": "seller", "office_id": "office",
    "dispatch_country": "dispatch country", "origin_country": "origin", "hs6": "HS6 subheading",
    "hs4": "HS heading", "chapter": "HS chapter", "quantity_unit": "unit", "tax_type": "tax type",
    "duty_rate": "duty rate", "requested_procedure": "customs procedure", "import_type": "import type",
    "import_use": "import use", "payment_method": "payment method", "carrier_id": "express carrier",
}
PLAIN_NAMES = {
    "chapter": "HS chapter", "heading": "HS heading", "subheading": "HS subheading",
    "items": "number of goods items", "log_value": "customs value (log)", "log_mass": "net mass (log)",
    "log_value_per_kg": "value per kg (log)", "gross_net_ratio": "gross / net mass", "duty_rate": "duty rate",
    "log_declared_duty": "declared duty (log)", "transport_mode": "transport mode",
    "origin_is_dispatch": "origin = dispatch country", "has_preference": "preference claimed",
    "weekday": "day of week", "month": "month", "unit_z": "unit price vs earlier imports (lowest item, z)",
    "unit_dev": "unit price vs earlier imports (lowest item, log deviation)",
    "unit_peers": "earlier imports to compare the price with",
    "days_since_importer": "days since the importer's previous declaration",
    "import_type": "import type", "import_use": "import use", "payment_method": "payment method",
    "has_carrier": "express carrier",
}


def plain_name(feature: str) -> str:
    """A feature name in words, e.g. ``te:importer_id*hs6`` -> "fraud rate of importer x HS6 subheading"."""
    if feature in PLAIN_NAMES:
        return PLAIN_NAMES[feature]
    prefix, _, rest = feature.partition(":")
    keys = " x ".join(_WORDS.get(k, k) for k in rest.split("*"))
    if prefix == "te":
        return f"past discrepancy rate of {keys}"
    if prefix == "n":
        return f"past controls of {keys}"
    if prefix == "seen":
        return f"earlier declarations of {keys}"
    return feature


def _prepare_items(declarations: pd.DataFrame) -> pd.DataFrame:
    items = declarations.copy()
    for column in OPTIONAL_COLUMNS:
        if column not in items.columns:
            items[column] = None
    items["declaration_id"] = items["declaration_id"].astype("str")
    when = pd.to_datetime(items["acceptance_datetime"], errors="coerce")
    items["declaration_date"] = when
    items[DATE] = when.dt.floor("D")
    code = items["commodity_code"].astype("str").str.replace(".", "", regex=False).str.strip()
    items["hs6"] = code.str[:6]
    items["hs4"] = code.str[:4]
    items["chapter"] = code.str[:2]
    return items


def _controls(outcomes: pd.DataFrame | None, as_of) -> pd.DataFrame:
    """Every control known before `as_of`: declaration, inspection day, label, revenue, random."""
    columns = ["declaration_id", "_inspected", "label_fraud", "label_revenue", "label_random"]
    if outcomes is None or len(outcomes) == 0:
        return pd.DataFrame({"declaration_id": pd.Series(dtype="str"), "_inspected": pd.Series(dtype="datetime64[s]"),
                             **{c: pd.Series(dtype=float) for c in LABEL_COLUMNS}})
    out = pd.DataFrame({
        "declaration_id": outcomes["declaration_id"].astype("str"),
        "_inspected": pd.to_datetime(outcomes["inspection_date"], errors="coerce").dt.floor("D"),
        "label_fraud": (outcomes["result"].astype("str").str.strip().str.lower() == "discrepancy").astype(float),
        "label_revenue": pd.to_numeric(outcomes["duty_recovered"], errors="coerce").fillna(0.0),
        "label_random": (outcomes["selection_reason"].astype("str").str.strip().str.lower() == "random")
        .astype(float),
    })
    out = out.dropna(subset=["_inspected"])
    if as_of is not None:
        out = out.loc[out["_inspected"] < pd.Timestamp(as_of)]
    return out.sort_values("_inspected", kind="stable")[columns]


def _labels(controls: pd.DataFrame) -> pd.DataFrame:
    """One label per controlled declaration: the latest control decides (a later audit may overturn a first
    check). The encodings take every control on its own day, so a re-check never rewrites the past."""
    return controls.drop_duplicates("declaration_id", keep="last")


def _first_items(items: pd.DataFrame) -> np.ndarray:
    """Whether each goods item is the first of its declaration (the one that carries the header)."""
    return ~items["declaration_id"].duplicated().to_numpy()


def _vocabulary(items: pd.DataFrame) -> dict[str, pd.Index]:
    """The distinct values of each key column (a missing value is one of them)."""
    return {c: pd.Index(pd.factorize(items[c], use_na_sentinel=False)[1]) for c in KEY_COLUMNS}


def _code_keys(items: pd.DataFrame, vocabulary: dict[str, pd.Index] | None = None) -> pd.DataFrame:
    """Every key of ALL_KEYS as one integer column (named by `key_name`), so that the encodings compare integers,
    not text. The code reads the positions of the row's values in `vocabulary` as the digits of one number, so a
    key has the same code in every frame coded with the same vocabulary; a key with a value outside it gets a
    negative code of its own. Without a vocabulary, the frame's own values are used."""
    position, local, size = {}, {}, {}
    for column in KEY_COLUMNS:
        local[column], uniques = pd.factorize(items[column], use_na_sentinel=False)
        if vocabulary is None:  # the frame's own values
            position[column], size[column] = local[column], len(uniques)
        else:  # -1 for a value outside the vocabulary
            position[column] = vocabulary[column].get_indexer(uniques)[local[column]]
            size[column] = len(vocabulary[column])
    out = {}
    for keys in ALL_KEYS:
        if math.prod(size[c] for c in keys) >= 2 ** 63:
            raise ValueError(f"too many distinct values to code {key_name(keys)}")
        code = np.zeros(len(items), dtype=np.int64)
        for column in keys:
            code = code * size[column] + position[column]
        new = np.any([position[c] < 0 for c in keys], axis=0)
        if new.any():  # a negative code for each distinct key with a value outside the vocabulary
            code[new] = -1 - key_codes(pd.DataFrame({c: local[c][new] for c in keys}), list(keys))
        out[key_name(keys)] = code
    return pd.DataFrame(out, index=items.index, copy=False)  # a frame of the arrays, not a copy


def _coded_rows(items: pd.DataFrame, vocabulary: dict[str, pd.Index] | None) -> pd.DataFrame:
    """What the encodings read of each item: declaration, day and the coded keys (`_code_keys`)."""
    codes = _code_keys(items, vocabulary)
    return pd.DataFrame({"declaration_id": items["declaration_id"], DATE: items[DATE],
                         **{name: codes[name] for name in codes.columns}}, copy=False)


def _events(rows: pd.DataFrame, controls: pd.DataFrame) -> pd.DataFrame:
    """`rows` as traffic (no label), followed by one label event per control of a row, dated on its inspection
    day: a row sees an outcome only from a strictly earlier day."""
    traffic = rows.assign(label_fraud=np.nan)
    if controls.empty:
        return traffic
    events = rows.merge(controls[["declaration_id", "_inspected", "label_fraud"]], on="declaration_id",
                        how="inner")
    events[DATE] = events[["_inspected", DATE]].max(axis=1)  # never known before the declaration itself
    return pd.concat([traffic, events.drop(columns="_inspected")], ignore_index=True)


def _encode(rows: pd.DataFrame, controls: pd.DataFrame, keys: list[tuple[str, ...]],
            base: dict[str, pd.DataFrame] | None = None) -> dict[str, np.ndarray]:
    """Out-of-time encodings of `keys` (coded, `_code_keys`) over `rows` and their label events (`_events`),
    plus `base`: columns ``te:``, ``n:`` and ``seen:`` per key."""
    names = [key_name(k) for k in keys]
    both = _events(rows[["declaration_id", DATE, *names]], controls)
    enc = target_encoding_columns(both, names, date=DATE, label="label_fraud", smoothing=SMOOTHING, base=base)
    out = {column: values[: len(rows)] for column, values in enc.items()}
    for name in names:  # seen counts every earlier row, label events included: keep the traffic only
        out[f"seen:{name}"] = out[f"seen:{name}"] - out[f"n:{name}"]
    return out


def _log_unit_value(items: pd.DataFrame) -> np.ndarray:
    value = pd.to_numeric(items["customs_value"], errors="coerce")
    qty = pd.to_numeric(items["quantity"], errors="coerce")
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero or negative value: -inf or NaN
        return np.log(value / qty.where(qty > 0)).to_numpy(dtype=float)


def _price_rows(codes: pd.DataFrame, log_uv: np.ndarray) -> pd.DataFrame:
    """What the unit price statistics sum: the log unit value (``_v``) and its square (``_v2``), per price key."""
    return codes[[DATE, *PRICE_NAMES]].assign(_v=log_uv, _v2=log_uv ** 2)


def _unit_prices(items: pd.DataFrame, codes: pd.DataFrame, base: dict[str, pd.DataFrame] | None = None
                 ) -> dict[str, np.ndarray]:
    """Log unit value of each item against the same key's items of strictly earlier days (mean, std), at the
    most specific key with at least MIN_PRICE_PEERS earlier items, plus `base` (sums of the log unit value,
    key ``k``, and of its square, key ``k^2``). Label-free."""
    log_uv = _log_unit_value(items)
    rows = _price_rows(codes, log_uv)
    base = base or {}
    z = np.full(len(items), np.nan)
    dev = np.full(len(items), np.nan)
    peers = np.zeros(len(items))
    for name in PRICE_NAMES:
        s1 = out_of_time_stats(rows, name, date=DATE, label="_v", base=base.get(name))
        s2 = out_of_time_stats(rows, name, date=DATE, label="_v2", base=base.get(f"{name}^2"))
        n = s1["labelled"].to_numpy()
        mean = s1["positives"].to_numpy() / np.maximum(n, 1)
        var = s2["positives"].to_numpy() / np.maximum(n, 1) - mean ** 2
        std = np.sqrt(np.clip(var, 0, None)) + 0.05
        use = np.isnan(z) & (n >= MIN_PRICE_PEERS) & ~np.isnan(log_uv)
        dev[use] = log_uv[use] - mean[use]
        z[use] = dev[use] / std[use]
        peers[use] = n[use]
    return {"unit_z": z, "unit_dev": dev, "unit_peers": peers}


def _previous_day(importer: np.ndarray, day: np.ndarray) -> np.ndarray:
    """For each row, the latest day before its own on which the same importer declared (NaT when none)."""
    order = np.lexsort((day, importer))
    imp, d = importer[order], day[order]
    run = np.ones(len(order), dtype=bool)  # first row of each (importer, day) run
    run[1:] = (imp[1:] != imp[:-1]) | (d[1:] != d[:-1])
    start = np.maximum.accumulate(np.where(run, np.arange(len(order)), 0))
    before = start - 1  # the last row of the previous run
    same = (before >= 0) & (imp[np.maximum(before, 0)] == imp)
    prev = np.full(len(order), np.datetime64("NaT"), dtype=day.dtype)
    prev[same] = d[before[same]]
    out = np.empty_like(prev)
    out[order] = prev
    return out


@dataclass(frozen=True)
class HistoryTotals:
    """The statistics of a history of declarations and outcomes, per key (see `history_totals`): what every
    declaration dated after ``last_day`` knows of it."""

    last_day: pd.Timestamp  # the latest day counted: a declaration's, or an outcome's becoming known
    vocabulary: dict[str, pd.Index]  # the history's values of each key column: keys are coded by it
    items: dict[str, pd.DataFrame]  # `encoding_totals` of ITEM_KEYS over the items and their label events
    headers: dict[str, pd.DataFrame]  # ... of HEADER_KEYS over the declarations and their label events
    prices: dict[str, pd.DataFrame]  # `key_totals` of the log unit value (key "k") and its square ("k^2")
    importer_days: pd.Series  # the latest declaration day of each importer (by code)


def history_totals(declarations: pd.DataFrame, outcomes: pd.DataFrame | None, as_of=None) -> HistoryTotals:
    """Count `declarations` and the outcomes known before `as_of` once, per key, with the same rows and label
    events as `declaration_features`; ``declaration_features(later, ..., base=totals)`` then adds them."""
    items = _prepare_items(declarations).reset_index(drop=True)
    controls = _controls(outcomes, as_of)
    vocabulary = _vocabulary(items)
    codes = _coded_rows(items, vocabulary)
    heads = codes.loc[_first_items(items)]
    item_events = _events(codes[["declaration_id", DATE, *(key_name(k) for k in ITEM_KEYS)]], controls)
    head_events = _events(heads[["declaration_id", DATE, *(key_name(k) for k in HEADER_KEYS)]], controls)
    rows = _price_rows(codes, _log_unit_value(items))
    prices = {}
    for name in PRICE_NAMES:
        prices[name] = key_totals(rows, name, label="_v")
        prices[f"{name}^2"] = key_totals(rows, name, label="_v2")
    return HistoryTotals(
        last_day=pd.concat([item_events[DATE], head_events[DATE]]).max(),
        vocabulary=vocabulary,
        items=encoding_totals(item_events, [key_name(k) for k in ITEM_KEYS], label="label_fraud"),
        headers=encoding_totals(head_events, [key_name(k) for k in HEADER_KEYS], label="label_fraud"),
        prices=prices,
        importer_days=heads.groupby("importer_id")[DATE].max(),
    )


# what declaration_columns reads of a declaration's first item (its header) and of its main item
_HEADER_READ = ["declaration_date", "transport_mode", "dispatch_country", "import_type", "import_use", "payment_method",
                "carrier_id"]
_MAIN_READ = ["chapter", "hs4", "hs6", "origin_country"]


def _fold(ufunc, values: np.ndarray, decl: np.ndarray, count: int) -> np.ndarray:
    """Per declaration (`decl`: each item's, of `count`), `ufunc` (np.fmin, np.fmax) of its items' `values`:
    missing values are skipped, NaN when all are (a groupby's min or max)."""
    out = np.full(count, np.nan)
    ufunc.at(out, decl, values)
    return out


def _number(values) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _log(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):  # no value: -inf, a negative one: NaN
        return np.log(values)


def _code_number(codes: pd.Series) -> np.ndarray:
    """Codes written as text (HS codes, transport modes) as numbers, each distinct code parsed once."""
    position, uniques = pd.factorize(codes, use_na_sentinel=False)
    return pd.to_numeric(pd.Series(uniques), errors="coerce").to_numpy()[position]


def declaration_features(declarations: pd.DataFrame, outcomes: pd.DataFrame | None, as_of=None,
                         base: HistoryTotals | None = None) -> pd.DataFrame:
    """One row per declaration (index ``declaration_id``, sorted by date) of features as of its own date,
    plus the label columns ``label_fraud``, ``label_revenue``, ``label_random`` and ``declaration_date``.
    With `base` (`history_totals` of earlier declarations), the history it counts is added to every row's
    past; every declaration must then be dated after ``base.last_day``."""
    ids, f, _ = declaration_columns(declarations, outcomes, as_of, base)
    out = pd.DataFrame(f, index=pd.Index(ids, name="declaration_id"))
    return out.sort_values("declaration_date", kind="stable")


def declaration_columns(declarations: pd.DataFrame, outcomes: pd.DataFrame | None, as_of=None,
                        base: HistoryTotals | None = None) -> tuple[pd.Index, dict[str, np.ndarray], np.ndarray]:
    """`declaration_features` before its frame is built: the declaration IDs (as text) in order of first
    appearance, each column as an array in that order (what the model screen turns straight into the model's
    input array), and the position of each row of `declarations` in those IDs."""
    items = _prepare_items(declarations).reset_index(drop=True)
    if base is not None and not (items[DATE] > base.last_day).all():
        raise ValueError(f"with base, every declaration must be dated after {base.last_day}")
    controls = _controls(outcomes, as_of)
    codes = _coded_rows(items, None if base is None else base.vocabulary)

    # per goods item
    value, rate = _number(items["customs_value"]), _number(items["duty_rate"])
    mass, gross = _number(items["net_mass"]), _number(items["gross_mass"])
    prices = _unit_prices(items, codes, base and base.prices)
    item_enc = _encode(codes, controls, ITEM_KEYS, base and base.items)

    # per declaration (in order of first appearance): its first item carries the header, its main item (highest
    # customs value, the first of equal values, a missing value last) gives it its HS codes and origin
    decl, ids = pd.factorize(items["declaration_id"])
    first = _first_items(items)
    header = items.loc[first, _HEADER_READ]
    best = _fold(np.fmax, value, decl, len(ids))
    main_pos = np.full(len(ids), len(items))  # the first item of the highest value (of all, when none has one)
    np.minimum.at(main_pos, decl, np.where((value == best[decl]) | np.isnan(best[decl]), np.arange(len(items)),
                                           len(items)))
    main = items.loc[main_pos, _MAIN_READ]
    # sums in item order (missing values count 0), whatever the other declarations hold
    sums = {name: np.bincount(decl, weights=np.where(np.isnan(amount), 0.0, amount), minlength=len(ids))
            for name, amount in (("value", value), ("mass", mass), ("gross", gross), ("duty", value * rate / 100.0))}
    preference = items["preference_claim"].fillna("").astype("str").str.strip().ne("").to_numpy(dtype=float)
    lowest = {c: _fold(np.fmin, values, decl, len(ids)) for c, values in prices.items()}
    te_cols = [c for c in item_enc if c.startswith("te:")]
    highest = {c: _fold(np.fmax, values, decl, len(ids)) for c, values in (("_rate", rate), *(
        (c, item_enc[c]) for c in te_cols))}
    total_mass = np.where(sums["mass"] > 0, sums["mass"], np.nan)
    when = header["declaration_date"]

    f = {
        "declaration_date": when.to_numpy(),
        "chapter": _code_number(main["chapter"]),
        "heading": _code_number(main["hs4"]),
        "subheading": _code_number(main["hs6"]),
        "items": np.bincount(decl, minlength=len(ids)),
        "log_value": np.log1p(np.clip(sums["value"], 0, None)),
        "log_mass": np.log1p(np.clip(sums["mass"], 0, None)),
        "log_value_per_kg": _log(sums["value"] / total_mass),
        "gross_net_ratio": sums["gross"] / total_mass,
        "duty_rate": highest["_rate"],
        "log_declared_duty": np.log1p(np.clip(sums["duty"], 0, None)),
        "transport_mode": _code_number(header["transport_mode"]),
        "origin_is_dispatch": (main["origin_country"].to_numpy() == header["dispatch_country"].to_numpy())
        .astype(float),
        "has_preference": (np.bincount(decl, weights=preference, minlength=len(ids)) > 0).astype(float),
        "import_type": _code_number(header["import_type"]),
        "import_use": _code_number(header["import_use"]),
        "payment_method": _code_number(header["payment_method"]),
        "has_carrier": header["carrier_id"].notna().to_numpy(dtype=float),
        "weekday": when.dt.day_of_week.to_numpy(),
        "month": when.dt.month.to_numpy(),
        **{c: lowest[c] for c in prices},
        **{c: highest[c] for c in te_cols},
        **{c: values[main_pos] for c, values in item_enc.items() if c not in te_cols},
    }

    # header-level encodings and traffic, one row per declaration
    head_rows = codes.loc[first].reset_index(drop=True)
    f.update(_encode(head_rows, controls, HEADER_KEYS, base and base.headers))
    # days since the importer's previous declaration on an earlier day (or, with base, in the history)
    day = head_rows[DATE].to_numpy()
    prev = _previous_day(head_rows["importer_id"].to_numpy(), day)
    if base is not None:
        known = base.importer_days.reindex(head_rows["importer_id"]).to_numpy(dtype=day.dtype)
        prev = np.where(np.isnat(prev), known, prev)
    f["days_since_importer"] = (day - prev) / np.timedelta64(1, "D")

    labels = _labels(controls).set_index("declaration_id")
    for column in LABEL_COLUMNS:
        f[column] = labels[column].reindex(ids).to_numpy(dtype=float)
    return ids, f, decl


def feature_columns(features: pd.DataFrame) -> list[str]:
    """The model inputs of a features frame (everything but labels and information columns)."""
    return [c for c in features.columns if c not in LABEL_COLUMNS and c not in INFO_COLUMNS]


# --- one day's declarations against a counted history, without pandas on the way --------------------------------

class _Missing:
    """The key of a missing value in the lookup tables: one object, the same after pickling (a plain `object()`
    comes back from a pickle as another object, and the tables' missing keys would no longer be found: a fitted
    screen sent to the lodging process scored missing values as never seen)."""

    def __repr__(self) -> str:
        return "<missing>"

    def __reduce__(self) -> str:
        return "_NA"  # pickled by reference to the module's one instance


_NA = _Missing()


def _value_key(value):
    return _NA if value is None or (isinstance(value, float) and value != value) or value is pd.NA \
        or value is pd.NaT else value


class HistoryLookup:
    """`HistoryTotals` as plain lookup tables, built once when a screen is fitted: each key column's vocabulary
    as a dict (value -> position), each key's counts as a dict (code -> tuple of sums), the priors, the
    importers' latest days. `small_frame_features` reads them to featurise a frame of one day (a declaration
    being lodged) without pandas' per-call costs; the result equals `declaration_features(frame, ..., base=totals)`
    for such a frame."""

    def __init__(self, totals: HistoryTotals):
        self.last_day = totals.last_day
        self.positions = {c: {_value_key(v): i for i, v in enumerate(index.tolist())}
                          for c, index in totals.vocabulary.items()}
        self.sizes = {c: len(index) for c, index in totals.vocabulary.items()}

        def table(frame: pd.DataFrame, columns: list[str]) -> dict:
            values = frame[columns].to_numpy(dtype=float)
            return dict(zip(frame.index.tolist(), map(tuple, values.tolist())))

        encoded = ["seen", "labelled", "positives"]
        self.items = {name: table(t, encoded) for name, t in totals.items.items()}
        self.headers = {name: table(t, encoded) for name, t in totals.headers.items()}
        self.prices = {name: table(t, ["labelled", "positives"]) for name, t in totals.prices.items()}
        days = totals.importer_days
        self.importer_days = dict(zip(days.index.tolist(), days.tolist()))

    def code(self, row: dict, keys: tuple[str, ...]) -> int | None:
        """The key's code in the history's vocabulary (None: a value the history never saw)."""
        return self.code_at(self.places(row, keys), keys)

    def places(self, row: dict, columns) -> dict:
        """Each column's value of `row` as its position in the history's vocabulary (None: never seen)."""
        return {column: self.positions[column].get(_value_key(row[column])) for column in columns}

    def code_at(self, places: dict, keys: tuple[str, ...]) -> int | None:
        """`code` from the row's `places`."""
        code = 0
        for column in keys:
            at = places[column]
            if at is None:
                return None
            code = code * self.sizes[column] + at
        return code

    def prior(self, tables: dict) -> float:
        seen, labelled, positives = tables[PRIOR_KEY].get(0, (0.0, 0.0, 0.0))
        return positives / max(labelled, 1) if labelled > 0 else 0.5


PRIOR_KEY = "_all"
# what small_frame_rows reads of a goods item (hs6, hs4 and chapter it derives from the commodity code)
_SMALL_FRAME_COLUMNS = frozenset(KEY_COLUMNS) - {"hs6", "hs4", "chapter"} | {
    "declaration_id", "acceptance_datetime", "commodity_code", "customs_value", "duty_rate", "net_mass",
    "gross_mass", "quantity", "preference_claim", "transport_mode", "origin_country", "dispatch_country",
    *OPTIONAL_COLUMNS}


def _names(keys_list) -> list[tuple[tuple[str, ...], str, str, str, str]]:
    """Each key with its table name and its three feature names."""
    return [(keys, name, f"te:{name}", f"n:{name}", f"seen:{name}") for keys in keys_list
            for name in (key_name(keys),)]


_ITEM_NAMES, _HEADER_NAMES, _PRICE_NAMES = _names(ITEM_KEYS), _names(HEADER_KEYS), _names(PRICE_KEYS)
_ITEM_COLUMNS = sorted({c for keys in (*ITEM_KEYS, *PRICE_KEYS) for c in keys})
_HEADER_COLUMNS = sorted({c for keys in HEADER_KEYS for c in keys} | {"importer_id"})
_NONE = (0.0, 0.0, 0.0)


def _encodings(lookup: HistoryLookup, tables: dict, places: dict, names, prior: float, out: dict) -> None:
    """The smoothed rate, the controls and the other declarations of each key, into `out`."""
    for keys, name, te, n, seen in names:
        code = lookup.code_at(places, keys)
        found, labelled, positives = tables[name].get(code, _NONE) if code is not None else _NONE
        out[te] = (positives + SMOOTHING * prior) / (labelled + SMOOTHING)
        out[n] = labelled
        out[seen] = found - labelled


def _fmin(a: float, b: float) -> float:
    """np.fmin of two floats: the smaller, ignoring a NaN."""
    return b if a != a else a if b != b else min(a, b)


def small_frame_features(declarations: pd.DataFrame, lookup: HistoryLookup) -> pd.DataFrame:
    """`declaration_features(declarations, None, base=totals)` for declarations of one day after
    ``lookup.last_day`` whose outcomes are not known (a declaration being lodged): rows of one day never see each
    other, so every statistic is the history's, read from the lookup tables. Label columns are NaN."""
    return pd.DataFrame(small_frame_rows(declarations, lookup)).set_index("declaration_id")


def small_frame_rows(declarations: pd.DataFrame, lookup: HistoryLookup) -> list[dict]:
    """`small_frame_features` as plain dicts, one per declaration in order of first appearance (with
    ``declaration_id``): what the model screen turns straight into its input array."""
    # only the columns read, column by column: to_dict("records") is slow on Arrow strings
    columns = [c for c in declarations.columns if c in _SMALL_FRAME_COLUMNS]
    rows = [dict(zip(columns, values)) for values in zip(*[declarations[c].tolist() for c in columns])]
    when = pd.Timestamp(rows[0]["acceptance_datetime"])
    day = when.floor("D")
    item_prior, head_prior = lookup.prior(lookup.items), lookup.prior(lookup.headers)
    per_declaration: dict[str, list[dict]] = {}
    for row in rows:
        for column in OPTIONAL_COLUMNS:
            row.setdefault(column, None)
        row["declaration_id"] = str(row["declaration_id"])
        code = str(row["commodity_code"]).replace(".", "").strip()
        row["hs6"], row["hs4"], row["chapter"] = code[:6], code[:4], code[:2]
        per_declaration.setdefault(row["declaration_id"], []).append(row)

    def number(value) -> float:
        try:
            return float(value) if value is not None and value != "" else math.nan
        except (TypeError, ValueError):
            return math.nan

    def code_number(value) -> float:
        return number(value) if value is not None and str(value).strip().lstrip("-").replace(".", "", 1).isdigit() \
            else math.nan

    out = []
    for declaration_id, items in per_declaration.items():
        header = items[0]
        values = [number(i["customs_value"]) for i in items]
        main = items[min(range(len(items)), key=lambda k: (math.isnan(values[k]), -values[k] if not
                                                            math.isnan(values[k]) else 0, k))]
        f: dict = {"declaration_date": pd.Timestamp(header["acceptance_datetime"])}
        f["chapter"], f["heading"], f["subheading"] = (code_number(main[c]) for c in ("chapter", "hs4", "hs6"))
        f["items"] = len(items)
        sums = {"value": 0.0, "mass": 0.0, "gross": 0.0, "duty": 0.0}
        rates, preference = [], False
        z = dev = peers = None
        item_te: dict[str, float] = {}
        for item, value in zip(items, values):
            rate, mass, gross = number(item["duty_rate"]), number(item["net_mass"]), number(item["gross_mass"])
            for name, amount in (("value", value), ("mass", mass), ("gross", gross), ("duty", value * rate / 100)):
                sums[name] += 0.0 if math.isnan(amount) else amount
            rates.append(rate)
            claim = item.get("preference_claim")
            preference = preference or (claim is not None and claim == claim and str(claim).strip() != "")
            qty = number(item["quantity"])
            with np.errstate(divide="ignore", invalid="ignore"):
                log_uv = float(np.log(np.float64(value) / (qty if qty > 0 else math.nan)))
            places = lookup.places(item, _ITEM_COLUMNS)
            iz, idev, ipeers = math.nan, math.nan, 0.0
            for keys, name, *_ in _PRICE_NAMES:
                code = lookup.code_at(places, keys)
                n, s1 = lookup.prices[name].get(code, (0.0, 0.0)) if code is not None else (0.0, 0.0)
                s2 = lookup.prices[f"{name}^2"].get(code, (0.0, 0.0))[1] if code is not None else 0.0
                mean = s1 / max(n, 1)
                std = math.sqrt(max(s2 / max(n, 1) - mean ** 2, 0.0)) + 0.05
                if math.isnan(iz) and n >= MIN_PRICE_PEERS and not math.isnan(log_uv):
                    idev = log_uv - mean
                    iz, ipeers = idev / std, n
            z = iz if z is None else _fmin(z, iz)
            dev = idev if dev is None else _fmin(dev, idev)
            peers = ipeers if peers is None else min(peers, ipeers)
            enc: dict[str, float] = {}
            _encodings(lookup, lookup.items, places, _ITEM_NAMES, item_prior, enc)
            for _, _, te, _n, _seen in _ITEM_NAMES:
                found = item_te.get(te)
                item_te[te] = enc[te] if found is None else -_fmin(-found, -enc[te])  # np.fmax
            if item is main:
                main_counts = {}
                for _, _, _, n_name, seen in _ITEM_NAMES:
                    main_counts[n_name], main_counts[seen] = enc[n_name], enc[seen]
        total_mass = sums["mass"] if sums["mass"] > 0 else math.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            f["log_value"] = math.log1p(max(sums["value"], 0.0))
            f["log_mass"] = math.log1p(max(sums["mass"], 0.0))
            f["log_value_per_kg"] = float(np.log(np.float64(sums["value"]) / total_mass))
            f["gross_net_ratio"] = sums["gross"] / total_mass
        known = [rate for rate in rates if rate == rate]
        f["duty_rate"] = max(known) if known else math.nan
        f["log_declared_duty"] = math.log1p(max(sums["duty"], 0.0))
        f["transport_mode"] = code_number(header["transport_mode"])
        f["origin_is_dispatch"] = float(main["origin_country"] == header["dispatch_country"])
        f["has_preference"] = float(preference)
        f["import_type"] = code_number(header["import_type"])
        f["import_use"] = code_number(header["import_use"])
        f["payment_method"] = code_number(header["payment_method"])
        carrier = header["carrier_id"]
        f["has_carrier"] = float(carrier is not None and carrier == carrier)
        f["weekday"], f["month"] = when.day_of_week, when.month
        f.update(unit_z=z, unit_dev=dev, unit_peers=peers)
        f.update(item_te)
        f.update(main_counts)
        places = lookup.places(header, _HEADER_COLUMNS)
        _encodings(lookup, lookup.headers, places, _HEADER_NAMES, head_prior, f)
        importer = lookup.code_at(places, ("importer_id",))
        previous = lookup.importer_days.get(importer) if importer is not None else None
        f["days_since_importer"] = (day - pd.Timestamp(previous)) / pd.Timedelta(days=1) if previous is not None \
            else math.nan
        for column in LABEL_COLUMNS:
            f[column] = math.nan
        f["declaration_id"] = declaration_id
        out.append(f)
    return out
