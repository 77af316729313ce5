"""The true shipments: who imports what, from where, when, how much and at what price (before any fraud).

Returns two frames of integer-coded columns (indices into the catalogue matrices): ``headers`` (one row per
declaration, in acceptance order) and ``items`` (one row per goods item, grouped by declaration).
"""

import numpy as np
import pandas as pd

from smartcustoms.world.catalogue import EXCHANGE_RATES, INCOTERMS, MODES, OFFICES, Matrices
from smartcustoms.world.config import WorldConfig
from smartcustoms.world.sampling import choice, grouped_choice, segment_positions

MODE_CODES = ["1", "2", "3", "4", "5"]
OFFICE_CODES = sorted({office for offices in OFFICES.values() for office in offices})
INCOTERM_CODES = list(INCOTERMS)
COUNT_UNITS = frozenset({"NAR", "NPR", "MIL", "LTR"})


def day_weights(config: WorldConfig) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Trade volume by day: a yearly wave (peak mid-October), an August lull, quiet weekends and holidays."""
    dates = pd.date_range(config.start, periods=config.days, freq="D")
    doy = dates.day_of_year.to_numpy()
    weight = 1.0 + config.season_amplitude * np.cos(2 * np.pi * (doy - 288) / 365.25)
    weight = weight * np.where(dates.month == 8, 0.85, 1.0)
    weight = weight * np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.25, 0.08])[dates.day_of_week]
    holiday = ((dates.month == 1) & (dates.day == 1)) | ((dates.month == 12) & (dates.day == 25))
    return dates, weight * np.where(holiday, 0.05, 1.0)


def exchange_rates(config: WorldConfig, rng: np.random.Generator, m: Matrices) -> np.ndarray:
    """(currencies, days) national-currency (EUR) rates: a random walk from the base rate, 6 significant digits."""
    base = np.array([EXCHANGE_RATES[c] for c in m.currencies])
    steps = rng.normal(0.0, 0.004, (len(base), config.days))
    steps[:, 0] = 0.0
    rates = base[:, None] * np.exp(np.cumsum(steps, axis=1))
    rates[list(m.currencies).index("EUR")] = 1.0
    scale = 10.0 ** (5 - np.floor(np.log10(rates)))
    return np.round(rates * scale) / scale


def round_quantity(quantity: np.ndarray, unit: np.ndarray) -> np.ndarray:
    counted = np.isin(unit, list(COUNT_UNITS))
    return np.where(counted, np.maximum(np.round(quantity), 1.0), np.maximum(np.round(quantity, 1), 0.1))


def draw_shipments(config: WorldConfig, rng: np.random.Generator, importers: pd.DataFrame,
                   declarants: pd.DataFrame, m: Matrices) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = config.declarations
    dates, weight = day_weights(config)
    cum = np.concatenate([[0.0], np.cumsum(weight)])
    cum = cum / cum[-1]

    # who and when: importers by activity over their active window, days by the seasonal weights
    first = importers["first_day"].to_numpy()
    last = importers["last_day"].to_numpy()
    window = cum[last + 1] - cum[first]
    importer = choice(rng, importers["activity"].to_numpy() * window, n)
    u = cum[first[importer]] + rng.random(n) * window[importer]
    day = np.clip(np.searchsorted(cum, u, side="right") - 1, first[importer], last[importer])
    seconds = (6.0 + 14.5 * rng.beta(2.2, 2.6, n)) * 3600  # office hours, busiest around noon
    seconds = seconds.astype(np.int64)
    order = np.lexsort((seconds, day))
    importer, day, seconds = importer[order], day[order], seconds[order]
    month = dates.month.to_numpy()[day] - 1

    own = importers["declarant"].to_numpy()[importer]
    other = rng.integers(0, len(declarants), n)
    declarant = np.where((own >= 0) & (rng.random(n) > config.main_declarant_share), other, own)

    sector = np.where(rng.random(n) < config.second_sector_share,
                      importers["second_sector"].to_numpy()[importer], importers["sector"].to_numpy()[importer])

    # goods items: how many, which products (by sector and season), from where
    n_items = np.where(rng.random(n) < config.single_item_share, 1,
                       1 + rng.geometric(config.extra_items_p, n))
    n_items = np.minimum(n_items, config.max_items)
    decl = np.repeat(np.arange(n), n_items)
    item_number = segment_positions(n_items) + 1
    first_row = np.cumsum(n_items) - n_items

    n_sectors = len(m.freight)
    popularity = np.where(np.isin(np.arange(len(m.codes)), m.lower[m.lower >= 0]), 0.5, 1.0)
    table = np.zeros((n_sectors * 12, len(m.codes)))
    for s in range(n_sectors):
        table[s * 12:(s + 1) * 12] = (m.sector == s) * popularity * m.season.T
    product = grouped_choice(rng, (sector * 12 + month)[decl], table)

    main_origin = importers["main_origin"].to_numpy()[importer]
    habitual = (m.origin_weight[product[first_row], main_origin] > 0) & (rng.random(n) < config.main_origin_share)
    drawn = grouped_choice(rng, product, m.origin_weight)
    head_origin = np.where(habitual, main_origin, drawn[first_row])
    same = m.origin_weight[product, head_origin[decl]] > 0
    origin = np.where(same, head_origin[decl], drawn)

    # transport, office, dispatch, currency, incoterm
    freight = m.freight[m.sector[product[first_row]]]
    mode_table = np.array([[MODES[(f, d)].get(code, 0.0) for code in MODE_CODES]
                           for f in ("bulk", "general", "light") for d in ("far", "near")])
    freight_index = np.select([freight == "bulk", freight == "general"], [0, 1], 2)
    mode = grouped_choice(rng, freight_index * 2 + m.near[head_origin], mode_table)
    office_table = np.array([[OFFICES[code].get(o, 0.0) for o in OFFICE_CODES] for code in MODE_CODES])
    office = grouped_choice(rng, mode, office_table)
    hub = grouped_choice(rng, head_origin, m.hub_weight)
    dispatch = np.where(rng.random(n) < config.hub_dispatch_share, hub, head_origin)
    currency = grouped_choice(rng, head_origin, m.currency_weight)
    incoterm = choice(rng, np.array(list(INCOTERMS.values())), n)

    headers = pd.DataFrame(
        {
            "importer": importer, "declarant": declarant, "day": day, "seconds": seconds, "month": month,
            "sector": sector, "origin": head_origin, "dispatch": dispatch, "mode": mode, "office": office,
            "currency": currency, "incoterm": incoterm, "n_items": n_items, "first_row": first_row,
        }
    )

    # quantities, prices, masses, duties: what really travels
    unit = m.unit[product]
    quantity = round_quantity(m.quantity[product] * rng.lognormal(0.0, config.quantity_sigma, len(decl)), unit)
    unit_price = (m.price[product] * m.origin_price[origin] * rng.lognormal(0.0, config.price_sigma, len(decl))
                  * importers["price_level"].to_numpy()[importer[decl]])
    value = np.maximum(quantity * unit_price, 5.0)
    net = np.where(unit == "KGM", quantity, quantity * m.unit_mass[product] * rng.lognormal(0.0, 0.05, len(decl)))
    net = np.maximum(np.round(net, 3), 0.001)
    gross = np.maximum(np.round(net * rng.uniform(1.02, 1.20, len(decl)), 3), net)

    claimable = m.claim[product, origin] != ""
    claimed = claimable & (rng.random(len(decl)) < config.preference_claim_share)
    additional = m.additional[product, origin]
    rate = np.where(claimed, 0.0, m.duty[product]) + additional

    house = importers["house_style"].to_numpy()[importer[decl]]
    size = m.pool_size[product]
    habitual_words = (house + product * 7919 + rng.integers(0, 3, len(decl))) % size
    local = np.where(rng.random(len(decl)) < 0.7, habitual_words, rng.integers(0, 1 << 30, len(decl)) % size)

    items = pd.DataFrame(
        {
            "decl": decl, "item_number": item_number, "product": product, "origin": origin,
            "quantity": quantity, "value": value, "net_mass": net, "gross_mass": gross,
            "claimed": claimed, "additional": additional, "duty_rate": rate,
            "description": m.pool_start[product] + local,
        }
    )
    return headers, items
