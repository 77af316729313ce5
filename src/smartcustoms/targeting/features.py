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

Label columns (targets, never features): ``label_fraud`` (1 when the control found a discrepancy, 0 when it
found none, NaN when the declaration was not controlled, or not before ``as_of``) and ``label_revenue`` (duty
recovered, NaN when not controlled). ``label_random`` says whether the control came from the random sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smartcustoms.targeting.encoding import key_name, out_of_time_stats, out_of_time_target_encoding

DATE = "_day"
LABEL_COLUMNS = ["label_fraud", "label_revenue", "label_random"]
# columns that are returned for information (exploration, explanations) and are not model inputs
INFO_COLUMNS = ["declaration_date"]

# out-of-time fraud rate of these header keys (one value per declaration)
HEADER_KEYS: list[tuple[str, ...]] = [
    ("importer_id",), ("declarant_id",), ("seller_id",), ("office_id",), ("dispatch_country",),
    ("declarant_id", "importer_id"), ("importer_id", "office_id"), ("declarant_id", "office_id"),
]
# ... and of these item keys (per goods item, the declaration takes the highest)
ITEM_KEYS: list[tuple[str, ...]] = [
    ("hs6",), ("hs4",), ("chapter",), ("origin_country",),
    ("hs6", "origin_country"), ("importer_id", "hs6"), ("declarant_id", "hs6"), ("hs4", "origin_country"),
]
# reference unit prices: most specific first (units never mixed)
PRICE_KEYS: list[tuple[str, ...]] = [
    ("hs6", "origin_country", "quantity_unit"), ("hs6", "quantity_unit"), ("hs4", "quantity_unit"),
]
SMOOTHING = 10.0
MIN_PRICE_PEERS = 5

# plain words for feature names, used by explanations
_WORDS = {
    "importer_id": "importer", "declarant_id": "declarant", "seller_id": "seller", "office_id": "office",
    "dispatch_country": "dispatch country", "origin_country": "origin", "hs6": "HS6 subheading",
    "hs4": "HS heading", "chapter": "HS chapter", "quantity_unit": "unit",
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
        return pd.DataFrame(columns=columns)
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


def _encode(rows: pd.DataFrame, labels: pd.DataFrame, keys: list[tuple[str, ...]]) -> pd.DataFrame:
    """Out-of-time encodings of `keys` over `rows` (traffic, no labels) plus one label event per controlled
    row, dated on its inspection day: a row sees an outcome only from a strictly earlier day."""
    events = rows.merge(labels[["declaration_id", "_inspected", "label_fraud"]], on="declaration_id", how="inner")
    events[DATE] = events[["_inspected", DATE]].max(axis=1)  # never known before the declaration itself
    traffic = rows.assign(label_fraud=np.nan)
    both = pd.concat([traffic, events.drop(columns="_inspected")], ignore_index=True)
    enc = out_of_time_target_encoding(both, keys, date=DATE, label="label_fraud", smoothing=SMOOTHING)
    enc = enc.iloc[: len(traffic)].set_axis(rows.index)
    for k in keys:  # seen counts every earlier row, label events included: keep the traffic only
        name = key_name(k)
        enc[f"seen:{name}"] = enc[f"seen:{name}"] - enc[f"n:{name}"]
    return enc


def _unit_prices(items: pd.DataFrame) -> pd.DataFrame:
    """Log unit value of each item against the same key's items of strictly earlier days (mean, std), at the
    most specific key with at least MIN_PRICE_PEERS earlier items. Label-free."""
    value = pd.to_numeric(items["customs_value"], errors="coerce")
    qty = pd.to_numeric(items["quantity"], errors="coerce")
    log_uv = np.log(value / qty.where(qty > 0)).to_numpy(dtype=float)
    z = np.full(len(items), np.nan)
    dev = np.full(len(items), np.nan)
    peers = np.zeros(len(items))
    for keys in PRICE_KEYS:
        s1 = out_of_time_stats(items.assign(_v=log_uv), list(keys), date=DATE, label="_v")
        s2 = out_of_time_stats(items.assign(_v=log_uv ** 2), list(keys), date=DATE, label="_v")
        n = s1["labelled"].to_numpy()
        mean = s1["positives"].to_numpy() / np.maximum(n, 1)
        var = s2["positives"].to_numpy() / np.maximum(n, 1) - mean ** 2
        std = np.sqrt(np.clip(var, 0, None)) + 0.05
        use = np.isnan(z) & (n >= MIN_PRICE_PEERS) & ~np.isnan(log_uv)
        dev[use] = log_uv[use] - mean[use]
        z[use] = dev[use] / std[use]
        peers[use] = n[use]
    return pd.DataFrame({"unit_z": z, "unit_dev": dev, "unit_peers": peers}, index=items.index)


def declaration_features(declarations: pd.DataFrame, outcomes: pd.DataFrame | None, as_of=None) -> pd.DataFrame:
    """One row per declaration (index ``declaration_id``, sorted by date) of features as of its own date,
    plus the label columns ``label_fraud``, ``label_revenue``, ``label_random`` and ``declaration_date``."""
    items = _prepare_items(declarations).reset_index(drop=True)
    controls = _controls(outcomes, as_of)
    labels = _labels(controls)

    value = pd.to_numeric(items["customs_value"], errors="coerce")
    rate = pd.to_numeric(items["duty_rate"], errors="coerce")
    items["_duty"] = value * rate / 100.0
    items["_mass"] = pd.to_numeric(items["net_mass"], errors="coerce")
    items["_gross"] = pd.to_numeric(items["gross_mass"], errors="coerce")
    items["_value"] = value
    items["_rate"] = rate
    items = pd.concat([items, _unit_prices(items)], axis=1)

    # item-level encodings, the declaration takes its riskiest item (highest rate, and its counts)
    item_enc = _encode(items[["declaration_id", DATE, *sorted({k for ks in ITEM_KEYS for k in ks})]],
                       controls, ITEM_KEYS)
    items = pd.concat([items, item_enc], axis=1)

    group = items.groupby("declaration_id", sort=False)
    # the main item (highest customs value) gives the declaration its HS codes and origin
    main = items.sort_values("_value", ascending=False, na_position="last", kind="stable")
    main = main.drop_duplicates("declaration_id")
    header = group.head(1).set_index("declaration_id")
    main = main.set_index("declaration_id").reindex(header.index)
    agg = group.agg(items=("item_number", "size"), _value=("_value", "sum"), _mass=("_mass", "sum"),
                    _gross=("_gross", "sum"), _duty=("_duty", "sum"), duty_rate=("_rate", "max"),
                    unit_z=("unit_z", "min"), unit_dev=("unit_dev", "min"), unit_peers=("unit_peers", "min"))
    f = pd.DataFrame(index=header.index)
    f["declaration_date"] = header["declaration_date"]
    f["chapter"] = pd.to_numeric(main["chapter"], errors="coerce")
    f["heading"] = pd.to_numeric(main["hs4"], errors="coerce")
    f["subheading"] = pd.to_numeric(main["hs6"], errors="coerce")
    f["items"] = agg["items"]
    f["log_value"] = np.log1p(agg["_value"].clip(lower=0))
    f["log_mass"] = np.log1p(agg["_mass"].clip(lower=0))
    f["log_value_per_kg"] = np.log(agg["_value"] / agg["_mass"].where(agg["_mass"] > 0))
    f["gross_net_ratio"] = agg["_gross"] / agg["_mass"].where(agg["_mass"] > 0)
    f["duty_rate"] = agg["duty_rate"]
    f["log_declared_duty"] = np.log1p(agg["_duty"].clip(lower=0))
    f["transport_mode"] = pd.to_numeric(header["transport_mode"], errors="coerce")
    f["origin_is_dispatch"] = (main["origin_country"] == header["dispatch_country"]).astype(float)
    has_pref = items["preference_claim"].fillna("").astype("str").str.strip().ne("")
    f["has_preference"] = has_pref.groupby(items["declaration_id"]).max().astype(float)
    f["weekday"] = header["declaration_date"].dt.day_of_week
    f["month"] = header["declaration_date"].dt.month
    f[["unit_z", "unit_dev", "unit_peers"]] = agg[["unit_z", "unit_dev", "unit_peers"]]
    item_cols = list(item_enc.columns)
    te_cols = [c for c in item_cols if c.startswith("te:")]
    f[te_cols] = group[te_cols].max()
    f[[c for c in item_cols if not c.startswith("te:")]] = main[[c for c in item_cols if not c.startswith("te:")]]

    # header-level encodings and traffic, one row per declaration
    head_rows = header.reset_index()[["declaration_id", DATE, *sorted({k for ks in HEADER_KEYS for k in ks})]]
    head_enc = _encode(head_rows, controls, HEADER_KEYS).set_axis(header.index)
    f = pd.concat([f, head_enc], axis=1)
    # days since the importer's previous declaration on an earlier day
    days = head_rows[["importer_id", DATE]].drop_duplicates().sort_values(DATE, kind="stable")
    days["_prev"] = days.groupby("importer_id", dropna=False)[DATE].shift()
    prev = head_rows[["importer_id", DATE]].merge(days, on=["importer_id", DATE], how="left")["_prev"]
    f["days_since_importer"] = ((head_rows[DATE] - prev) / pd.Timedelta(days=1)).to_numpy()

    lab = labels.set_index("declaration_id")
    for column in LABEL_COLUMNS:
        f[column] = lab[column].reindex(f.index)
    f.index.name = "declaration_id"
    return f.sort_values("declaration_date", kind="stable")


def feature_columns(features: pd.DataFrame) -> list[str]:
    """The model inputs of a features frame (everything but labels and information columns)."""
    return [c for c in features.columns if c not in LABEL_COLUMNS and c not in INFO_COLUMNS]
