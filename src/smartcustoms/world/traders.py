"""Importers and declarants with behaviour profiles, sizes, trades and habits."""

import numpy as np
import pandas as pd

from smartcustoms.world.catalogue import SECTORS, Matrices
from smartcustoms.world.config import FRAUD_TYPES, PROFILES, WorldConfig
from smartcustoms.world.sampling import choice, grouped_choice, ids


def _profiles(rng: np.random.Generator, shares: dict, n: int) -> np.ndarray:
    return choice(rng, np.array([shares[p] for p in PROFILES], dtype=float), n)


def make_declarants(config: WorldConfig, rng: np.random.Generator) -> pd.DataFrame:
    """Customs brokers: index, ID, profile (index into PROFILES), fraud multiplier, watchlist flag."""
    n = config.n_declarants
    profile = _profiles(rng, config.declarant_profiles, n)
    multiplier = np.array([config.declarant_fraud_multiplier[p] for p in PROFILES])[profile]
    flagged = rng.random(n) < np.array([config.intel_flag_rate[p] for p in PROFILES])[profile]
    return pd.DataFrame(
        {"declarant_id": ids("DCL", np.arange(1, n + 1), 5), "profile": profile,
         "fraud_multiplier": multiplier, "flagged": flagged}
    )


def make_importers(config: WorldConfig, rng: np.random.Generator, declarants: pd.DataFrame,
                   m: Matrices) -> pd.DataFrame:
    """Importers: profile, new or established, active window (days), activity weight, trade, habits.

    ``declarant`` is the index of the usual declarant, or -1 when the importer declares for itself.
    ``modus`` is the index (into FRAUD_TYPES) of the fraud it prefers when it cheats; ``main_origin`` the country
    (index into the catalogue's origins) it usually buys from.
    """
    n = config.n_importers
    new = rng.random(n) < config.new_importer_share
    profile = np.where(new, _profiles(rng, config.new_importer_profiles, n),
                       _profiles(rng, config.importer_profiles, n))
    systematic = profile == PROFILES.index("systematic")

    first_day = np.where(new, rng.integers(0, config.days, n), 0)
    last_day = np.full(n, config.days - 1)
    low, high = config.phoenix_days
    phoenix = new & systematic
    last_day = np.where(phoenix, np.minimum(first_day + rng.integers(low, high + 1, n), config.days - 1), last_day)

    activity = rng.lognormal(0.0, 1.0, n) * np.where(systematic, 1.3, 1.0) * np.where(new, 0.8, 1.0)

    trade = np.array([s.trade_weight for s in SECTORS])
    appeal = np.array([s.fraud_appeal for s in SECTORS])
    sector = np.where(systematic, choice(rng, appeal, n), choice(rng, trade, n))
    second = choice(rng, trade, n)
    second = np.where(second == sector, (second + 1) % len(SECTORS), second)

    sector_origins = np.zeros((len(SECTORS), len(m.origins)))
    np.add.at(sector_origins, m.sector, m.origin_weight)
    main_origin = grouped_choice(rng, sector, sector_origins)

    n_decl = len(declarants)
    decl_profile = declarants["profile"].to_numpy()
    complicit = np.flatnonzero(decl_profile == PROFILES.index("systematic"))
    declarant = rng.integers(0, n_decl, n)
    if len(complicit):  # half of the systematic fraudsters use a complicit broker
        pick = systematic & (rng.random(n) < 0.5)
        declarant = np.where(pick, complicit[rng.integers(0, len(complicit), n)], declarant)
    declarant = np.where(rng.random(n) < config.self_declaring_share, -1, declarant)

    mix = np.array([config.fraud_type_mix[t] for t in FRAUD_TYPES], dtype=float)
    modus = choice(rng, mix, n)
    flagged = rng.random(n) < np.array([config.intel_flag_rate[p] for p in PROFILES])[profile]
    return pd.DataFrame(
        {
            "importer_id": ids("IMP", np.arange(1, n + 1), 6),
            "profile": profile,
            "new": new,
            "first_day": first_day,
            "last_day": last_day,
            "activity": activity,
            "sector": sector,
            "second_sector": second,
            "main_origin": main_origin,
            "house_style": rng.integers(0, 1_000_003, n),
            "price_level": rng.lognormal(0.0, 0.10, n),
            "declarant": declarant,
            "modus": modus,
            "flagged": flagged,
        }
    )
