"""Fraud: who cheats, on which goods item, how, and what the declaration then says.

One declaration carries at most one fraud, on one of its goods items (the target). The probability follows the
importer's profile (``config.fraud_rate``), shaped by the goods and origins in fashion with fraudsters (hot
spots, which move over time when ``drift`` is on) and by the declarant's profile, and calibrated so that each
importer profile's average equals its configured rate.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from smartcustoms.world.catalogue import CONCEALED, Matrices
from smartcustoms.world.config import FRAUD_TYPES, PROFILES, WorldConfig
from smartcustoms.world.sampling import choice, grouped_choice
from smartcustoms.world.shipments import round_quantity

UNDERVALUATION, MISCLASSIFICATION, FALSE_ORIGIN, UNDERSTATED_QUANTITY, PROHIBITED_GOODS = range(5)
CONCEALED_NAMES = list(CONCEALED)


@dataclass
class Fraud:
    declared: pd.DataFrame  # items as declared (same rows as the true items)
    dispatch: np.ndarray  # declared dispatch country per declaration
    fraud_type: np.ndarray  # per declaration: index into FRAUD_TYPES, -1 for none
    target: np.ndarray  # per declaration: row of the target item (item 1 when no fraud)
    concealed: np.ndarray  # per declaration: index into CONCEALED_NAMES, -1 for none
    concealed_duty: np.ndarray  # per declaration: duty on the concealed goods, EUR
    drift: np.ndarray  # per declaration: 0 = original hot spots, 1 = moved (only with drift)


def drift_weight(config: WorldConfig, day: np.ndarray) -> np.ndarray:
    """How far fraud has moved to the drift hot spots on each day: 0 before the window, 1 after."""
    if not config.drift:
        return np.zeros(len(day))
    start, end = config.drift_window
    t = (np.asarray(day) + 0.5) / config.days
    return np.clip((t - start) / max(end - start, 1e-9), 0.0, 1.0)


def hot_spots(config: WorldConfig, spots: dict, m: Matrices) -> np.ndarray:
    """(products, origins) fraud weight of one hot-spot set."""
    heading = np.array([code[:4] for code in m.codes])
    product = np.where(np.isin(heading, spots["headings"]), config.hot_product_boost, 1.0)
    origin = np.where(np.isin(m.origins, spots["origins"]), config.hot_origin_boost, 1.0)
    return product[:, None] * origin[None, :]


def _calibrated(rate: float, weight: np.ndarray, cap: float) -> np.ndarray:
    """Probabilities proportional to ``weight``, capped, whose mean is ``rate``."""
    if rate <= 0 or len(weight) == 0:
        return np.zeros(len(weight))
    if rate >= cap:
        return np.full(len(weight), cap)
    weight = weight / weight.mean()
    low, high = 0.0, 1.0
    while np.minimum(rate * high * weight, cap).mean() < rate:
        high *= 2
    for _ in range(40):
        mid = (low + high) / 2
        if np.minimum(rate * mid * weight, cap).mean() < rate:
            low = mid
        else:
            high = mid
    return np.minimum(rate * high * weight, cap)


def _routes(config: WorldConfig, m: Matrices) -> np.ndarray:
    """(2, origins) false-origin route weights: original hot spots, then drift hot spots."""
    table = np.zeros((2, len(m.origins)))
    for phase, spots in enumerate((config.hotspots, config.drift_hotspots)):
        for country, weight in spots["false_origin_routes"].items():
            table[phase, list(m.origins).index(country)] = weight
    return table


def _false_origin_routes(config: WorldConfig, rng: np.random.Generator, m: Matrices, product: np.ndarray,
                         origin: np.ndarray, rate: np.ndarray, phase: np.ndarray):
    """The country a false origin would name for each item, the rate it would bring, and whether it pays.

    A route of the current hot spots is drawn; if it brings no saving (no anti-dumping duty to dodge there),
    a route that earns a preference for this product is drawn instead.
    """
    routes = _routes(config, m)
    first = grouped_choice(rng, phase, routes)
    pref_routes = routes[:, None, :] * (m.claim != "")[None, :, :]  # (2, P, O): routes that earn a preference
    pref_routes = pref_routes.reshape(2 * len(m.codes), len(m.origins))
    has_pref = pref_routes.sum(axis=1) > 0
    group = phase * len(m.codes) + product
    second = grouped_choice(rng, group, np.where(has_pref[:, None], pref_routes, 1.0))

    def rate_via(route):
        return np.where(m.claim[product, route] != "", 0.0, m.duty[product]) + m.additional[product, route]

    first_rate, second_rate = rate_via(first), rate_via(second)
    gain_first = first_rate < rate
    gain_second = has_pref[group] & (second_rate < rate)
    route = np.where(gain_first, first, second)
    ok = (m.claim[product, origin] == "") & (gain_first | gain_second) & (route != origin)
    return route, np.where(gain_first, first_rate, second_rate), ok


def commit_fraud(config: WorldConfig, rng: np.random.Generator, headers: pd.DataFrame, items: pd.DataFrame,
                 importers: pd.DataFrame, declarants: pd.DataFrame, m: Matrices) -> Fraud:
    n = len(headers)
    importer = headers["importer"].to_numpy()
    profile = importers["profile"].to_numpy()[importer]
    product = items["product"].to_numpy()
    origin = items["origin"].to_numpy()
    quantity = items["quantity"].to_numpy()
    rate = items["duty_rate"].to_numpy()
    claimed = items["claimed"].to_numpy()

    # 1. on which item each declaration could cheat, and which frauds would pay off there
    target = headers["first_row"].to_numpy() + (rng.random(n) * headers["n_items"].to_numpy()).astype(np.int64)
    w = drift_weight(config, headers["day"].to_numpy())
    phase = (rng.random(n) < w).astype(np.int64)
    pt, ot = product[target], origin[target]
    lower = m.lower[pt]
    safe = np.maximum(lower, 0)
    lower_rate = np.where(claimed[target], 0.0, m.duty[safe]) + m.additional[safe, ot]
    route, route_rate, route_ok = _false_origin_routes(config, rng, m, pt, ot, rate[target], phase)
    eligible = np.column_stack(
        [
            rate[target] > 0,
            (lower >= 0) & (lower_rate < rate[target]),
            route_ok,
            (rate[target] > 0) & (quantity[target] >= 10),
            np.ones(n, dtype=bool),
        ]
    )

    # 2. who cheats: profile rate x hot spots x declarant x opportunity, calibrated per importer profile
    before = hot_spots(config, config.hotspots, m)[pt, ot]
    after = hot_spots(config, config.drift_hotspots, m)[pt, ot]
    base = (1 - w) * before / before.mean() + w * after / after.mean()
    declarant = headers["declarant"].to_numpy()
    multiplier = declarants["fraud_multiplier"].to_numpy()
    base = base * np.where(declarant >= 0, multiplier[np.maximum(declarant, 0)],
                           config.declarant_fraud_multiplier["compliant"])
    mix = np.array([config.fraud_type_mix[name] for name in FRAUD_TYPES])
    modus = importers["modus"].to_numpy()[importer]
    boost = np.where(np.arange(len(FRAUD_TYPES))[None, :] == modus[:, None], config.modus_boost, 1.0)
    opportunity = eligible * boost
    appeal = mix / np.maximum((base[:, None] * opportunity).sum(axis=0), 1e-12)
    p = np.zeros(n)
    for _ in range(6):  # tune the type weights until the expected fraud-type mix is config.fraud_type_mix
        weight = base * (opportunity @ appeal)
        for k, name in enumerate(PROFILES):
            rows = profile == k
            p[rows] = _calibrated(config.fraud_rate[name], weight[rows], config.max_fraud_probability)
        share = (p / np.maximum(opportunity @ appeal, 1e-12)) @ opportunity * appeal
        appeal = appeal * np.where(share > 0, mix / np.maximum(share / share.sum(), 1e-12), 1.0)
    cheats = np.flatnonzero(rng.random(n) < p)
    t = target[cheats]
    pt, ot, route, route_rate = pt[cheats], ot[cheats], route[cheats], route_rate[cheats]
    lower, lower_rate = lower[cheats], lower_rate[cheats]
    chance = opportunity[cheats] * appeal
    cum = np.cumsum(chance, axis=1)
    kind = (cum < (rng.random(len(t)) * cum[:, -1])[:, None]).sum(axis=1)

    # 3. what the declaration then says
    declared = items.copy()
    d_product = product.copy()
    d_origin = origin.copy()
    d_quantity = quantity.copy()
    d_value = items["value"].to_numpy().copy()
    d_net = items["net_mass"].to_numpy().copy()
    d_gross = items["gross_mass"].to_numpy().copy()
    d_rate = rate.copy()
    d_claimed = claimed.copy()
    dispatch = headers["dispatch"].to_numpy().copy()

    rows = t[kind == UNDERVALUATION]
    d_value[rows] *= rng.uniform(*config.undervaluation_factor, len(rows))

    pick = kind == MISCLASSIFICATION
    rows, target_code = t[pick], lower[pick]
    d_product[rows] = target_code
    d_rate[rows] = lower_rate[pick]
    by_mass = (m.unit[target_code] == "KGM") & (m.unit[pt[pick]] != "KGM")
    d_quantity[rows] = np.where(by_mass, d_net[rows], d_quantity[rows])

    pick = kind == FALSE_ORIGIN
    rows = t[pick]
    d_origin[rows] = route[pick]
    d_claimed[rows] = m.claim[pt[pick], route[pick]] != ""
    d_rate[rows] = route_rate[pick]
    dispatch[cheats[pick]] = route[pick]

    pick = kind == UNDERSTATED_QUANTITY
    rows = t[pick]
    unit = m.unit[product[rows]]
    less = round_quantity(quantity[rows] * rng.uniform(*config.understatement_factor, len(rows)), unit)
    less = np.minimum(less, np.where(np.isin(unit, ["KGM"]), quantity[rows] - 0.1, quantity[rows] - 1))
    ratio = less / quantity[rows]
    d_quantity[rows] = less
    d_value[rows] *= ratio
    d_net[rows] = np.where(unit == "KGM", less, np.maximum(np.round(d_net[rows] * ratio, 3), 0.001))

    concealed = np.full(n, -1)
    concealed_duty = np.zeros(n)
    pick = kind == PROHIBITED_GOODS
    rows, decls = t[pick], cheats[pick]
    specs = [CONCEALED[name] for name in CONCEALED_NAMES]
    category = choice(rng, np.array([s[0] for s in specs]), len(rows))
    low = np.array([s[2][0] for s in specs])[category]
    high = np.array([s[2][1] for s in specs])[category]
    mass = np.round(rng.uniform(low, high), 3)
    value = mass * np.array([s[1] for s in specs])[category]
    d_gross[rows] = np.round(d_gross[rows] + mass, 3)
    concealed[decls] = category
    concealed_duty[decls] = value * np.array([s[3] for s in specs])[category] / 100

    declared["product"] = d_product
    declared["origin"] = d_origin
    declared["quantity"] = d_quantity
    declared["value"] = d_value
    declared["net_mass"] = d_net
    declared["gross_mass"] = d_gross
    declared["duty_rate"] = d_rate
    declared["claimed"] = d_claimed
    declared["additional"] = m.additional[d_product, d_origin]

    fraud_type = np.full(n, -1)
    fraud_type[cheats] = kind
    true_target = headers["first_row"].to_numpy().copy()
    true_target[cheats] = t
    return Fraud(declared, dispatch, fraud_type, true_target, concealed, concealed_duty, w)
