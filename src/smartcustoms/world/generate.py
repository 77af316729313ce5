"""generate(config) -> World: declarations as traders declared them, historic controls, and the ground truth."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from smartcustoms.declarations.models import FIELDS
from smartcustoms.world.catalogue import Matrices, matrices
from smartcustoms.world.config import FRAUD_TYPES, PROFILES, WorldConfig
from smartcustoms.world.fraud import CONCEALED_NAMES, Fraud, commit_fraud
from smartcustoms.world.inspections import RISKY_ORIGINS, historic_controls
from smartcustoms.world.shipments import (
    INCOTERM_CODES,
    MODE_CODES,
    OFFICE_CODES,
    draw_shipments,
    exchange_rates,
)
from smartcustoms.world.traders import make_declarants, make_importers

TRUTH_COLUMNS = [
    "declaration_id", "fraud_type", "duty_at_stake", "fraud_item", "declared_duty", "true_duty",
    "declared_commodity_code", "true_commodity_code", "declared_origin", "true_origin", "declared_value",
    "true_value", "declared_quantity", "true_quantity", "concealed_goods", "importer_id", "importer_profile",
    "new_importer", "declarant_profile", "drift",
]


@dataclass
class World:
    declarations: pd.DataFrame  # FIELDS, one row per goods item: what traders declared
    inspections: pd.DataFrame  # historic controls and outcomes (inspections.COLUMNS)
    truth: pd.DataFrame  # TRUTH_COLUMNS, one row per declaration: for evaluation only
    config: WorldConfig


def _any(flag: np.ndarray, first_row: np.ndarray) -> np.ndarray:
    """Per declaration: is the flag set on any of its goods items?"""
    return np.maximum.reduceat(flag.astype(np.int8), first_row) > 0


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str" dtype


def _strings(labels, index=None) -> pd.Series:
    """A str column ``labels[index]``, gathered by pyarrow (much faster than from Python objects)."""
    labels = np.asarray(labels)
    dictionary = pa.array(labels.astype(str) if labels.dtype.kind == "U" else labels, pa.large_string())
    if index is None:
        array = dictionary
    else:
        array = pa.DictionaryArray.from_arrays(pa.array(np.asarray(index, dtype=np.int32)), dictionary)
        array = array.cast(pa.large_string())
    return array.to_pandas(types_mapper={pa.large_string(): _STR}.get)


def generate(config: WorldConfig | None = None) -> World:
    config = config or WorldConfig()
    rng = np.random.default_rng(config.seed)
    m = matrices()
    declarants = make_declarants(config, rng)
    importers = make_importers(config, rng, declarants, m)
    headers, items = draw_shipments(config, rng, importers, declarants, m)
    fraud = commit_fraud(config, rng, headers, items, importers, declarants, m)
    rates = exchange_rates(config, rng, m)
    declarations, money = _declarations(config, rng, m, headers, fraud, importers, declarants, rates)
    truth = _truth(m, headers, items, fraud, money, importers, declarants, declarations)
    signals = _signals(m, headers, fraud, importers, declarants, money, declarations)
    inspections = historic_controls(config, rng, signals, truth)
    return World(declarations, inspections, truth, config)


def _declarations(config: WorldConfig, rng: np.random.Generator, m: Matrices, headers: pd.DataFrame,
                  fraud: Fraud, importers: pd.DataFrame, declarants: pd.DataFrame, rates: np.ndarray):
    n = len(headers)
    declared = fraud.declared
    decl = declared["decl"].to_numpy()
    day = headers["day"].to_numpy()
    start = np.datetime64(pd.Timestamp(config.start).normalize().to_datetime64(), "s")
    accepted = start + (day * 86400 + headers["seconds"].to_numpy()).astype("timedelta64[s]")
    year = accepted.astype("datetime64[Y]").astype(np.int64) + 1970
    prefix = np.strings.add(np.strings.zfill((year % 100).astype("U4"), 2), "SC")
    sequence = np.strings.zfill(np.arange(1, n + 1).astype("U12"), 10)
    declaration_id = np.strings.add(prefix, sequence).astype(object)

    importer = headers["importer"].to_numpy()
    importer_ids = importers["importer_id"].to_numpy()
    declarant = headers["declarant"].to_numpy()
    declarant_id = np.where(declarant >= 0, declarants["declarant_id"].to_numpy()[np.maximum(declarant, 0)],
                            importer_ids[importer])
    house = importers["house_style"].to_numpy()[importer]
    supplier = (house + fraud.dispatch + (rng.random(n) < 0.2)) % 3 + 1
    seller_id = np.strings.add(
        np.strings.add(np.strings.add("SUP", np.strings.zfill((importer + 1).astype("U8"), 6)), "-"),
        np.strings.add(m.origins[fraud.dispatch].astype("U2"), supplier.astype("U1")),
    ).astype(object)
    exchange_rate = rates[headers["currency"].to_numpy(), day]

    product = declared["product"].to_numpy()
    origin = declared["origin"].to_numpy()
    row_rate = exchange_rate[decl]
    item_price = np.maximum(np.round(declared["value"].to_numpy() / row_rate, 2), 0.01)
    customs_value = np.maximum(np.round(item_price * row_rate, 2), 0.01)
    duty_rate = np.round(declared["duty_rate"].to_numpy(), 2)

    pick = np.flatnonzero(declared["claimed"].to_numpy())
    claim = np.full(len(decl), None, dtype=object)
    claim[pick] = m.claim[product[pick], origin[pick]]
    office = np.array(OFFICE_CODES, dtype=object)
    tax = np.where(declared["additional"].to_numpy() > 0, 1, 0)
    columns = {
        "declaration_id": _strings(declaration_id, decl),
        "declaration_type": _strings(["IM"], np.zeros(len(decl))),
        "office_id": _strings(office, headers["office"].to_numpy()[decl]),
        "acceptance_datetime": accepted[decl],
        "declarant_id": _strings(declarant_id, decl),
        "importer_id": _strings(importer_ids[importer], decl),
        "seller_id": _strings(seller_id, decl),
        "transport_mode": _strings(MODE_CODES, headers["mode"].to_numpy()[decl]),
        "incoterm": _strings(INCOTERM_CODES, headers["incoterm"].to_numpy()[decl]),
        "invoice_currency": _strings(m.currencies, headers["currency"].to_numpy()[decl]),
        "exchange_rate": row_rate,
        "dispatch_country": _strings(m.origins, fraud.dispatch[decl]),
        "item_number": declared["item_number"].to_numpy(),
        "commodity_code": _strings(m.codes, product),
        "goods_description": _strings(m.pool, declared["description"].to_numpy()),
        "origin_country": _strings(m.origins, origin),
        "preference_claim": _strings(claim),
        "quantity": declared["quantity"].to_numpy(),
        "quantity_unit": _strings(m.unit, product),
        "net_mass": declared["net_mass"].to_numpy(),
        "gross_mass": declared["gross_mass"].to_numpy(),
        "item_price": item_price,
        "customs_value": customs_value,
        "duty_rate": duty_rate,
        "tax_type": _strings(["A00", "A30"], tax),
    }
    undeclared = np.full(len(declared), None, dtype=object)  # fields the world does not declare: empty, not NaN
    frame = pd.DataFrame({name: columns.get(name, undeclared) for name in FIELDS})
    money = {"customs_value": customs_value, "duty": customs_value * duty_rate / 100,
             "declaration_id": declaration_id, "accepted": accepted}
    return frame, money


def _truth(m: Matrices, headers: pd.DataFrame, items: pd.DataFrame, fraud: Fraud, money: dict,
           importers: pd.DataFrame, declarants: pd.DataFrame, declarations: pd.DataFrame) -> pd.DataFrame:
    n = len(headers)
    decl = items["decl"].to_numpy()
    declared_duty = np.bincount(decl, weights=money["duty"], minlength=n)
    target = fraud.target
    cheats = fraud.fraud_type >= 0
    true_target = (items["value"].to_numpy()[target] * items["duty_rate"].to_numpy()[target] / 100
                   + fraud.concealed_duty)
    at_stake = np.where(cheats, np.maximum(true_target - money["duty"][target], 0.0), 0.0)
    at_stake = np.round(at_stake, 2)
    true_value = np.where(cheats, items["value"].to_numpy()[target], money["customs_value"][target])

    importer = headers["importer"].to_numpy()
    declarant = headers["declarant"].to_numpy()
    declarant_profile = np.where(declarant >= 0, declarants["profile"].to_numpy()[np.maximum(declarant, 0)],
                                 importers["profile"].to_numpy()[importer])
    return pd.DataFrame(
        {
            "declaration_id": _strings(money["declaration_id"]),
            "fraud_type": _strings(FRAUD_TYPES + ("none",), np.where(cheats, fraud.fraud_type, len(FRAUD_TYPES))),
            "duty_at_stake": at_stake,
            "fraud_item": np.where(cheats, items["item_number"].to_numpy()[target], 0),
            "declared_duty": np.round(declared_duty, 2),
            "true_duty": np.round(declared_duty + at_stake, 2),
            "declared_commodity_code": _strings(m.codes, fraud.declared["product"].to_numpy()[target]),
            "true_commodity_code": _strings(m.codes, items["product"].to_numpy()[target]),
            "declared_origin": _strings(m.origins, fraud.declared["origin"].to_numpy()[target]),
            "true_origin": _strings(m.origins, items["origin"].to_numpy()[target]),
            "declared_value": money["customs_value"][target],
            "true_value": np.round(true_value, 2),
            "declared_quantity": declarations["quantity"].to_numpy()[target],
            "true_quantity": items["quantity"].to_numpy()[target],
            "concealed_goods": _strings(
                CONCEALED_NAMES + [""], np.where(fraud.concealed >= 0, fraud.concealed, len(CONCEALED_NAMES))
            ),
            "importer_id": _strings(importers["importer_id"].to_numpy(), importer),
            "importer_profile": _strings(PROFILES, importers["profile"].to_numpy()[importer]),
            "new_importer": importers["new"].to_numpy()[importer],
            "declarant_profile": _strings(PROFILES, declarant_profile),
            "drift": np.round(fraud.drift, 3),
        },
        columns=TRUTH_COLUMNS,
    )


def _signals(m: Matrices, headers: pd.DataFrame, fraud: Fraud, importers: pd.DataFrame,
             declarants: pd.DataFrame, money: dict, declarations: pd.DataFrame) -> pd.DataFrame:
    """What the administration could see at the time: watchlists, trader age and the declared goods."""
    first_row = headers["first_row"].to_numpy()
    importer = headers["importer"].to_numpy()
    declarant = headers["declarant"].to_numpy()
    product = fraud.declared["product"].to_numpy()
    origin = fraud.declared["origin"].to_numpy()
    unit_value = money["customs_value"] / fraud.declared["quantity"].to_numpy()
    reference = m.price[product] * m.origin_price[origin]
    risky = np.isin(m.origins, RISKY_ORIGINS)
    new = importers["new"].to_numpy()[importer] & (
        headers["day"].to_numpy() - importers["first_day"].to_numpy()[importer] < 90)
    return pd.DataFrame(
        {
            "declaration_id": money["declaration_id"],
            "acceptance_datetime": money["accepted"],
            "watchlist_importer": importers["flagged"].to_numpy()[importer],
            "watchlist_declarant": (declarant >= 0) & declarants["flagged"].to_numpy()[np.maximum(declarant, 0)],
            "new_importer": new,
            "sensitive_goods": _any(m.sensitive[product], first_row),
            "risky_origin": _any(risky[origin], first_row),
            "low_price": _any(unit_value < 0.5 * reference, first_row),
        }
    )
