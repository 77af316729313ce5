"""The administration's historic controls: which declarations it controlled, how, and what it found.

Selection is biased the way real selection is: the old risk rules look at watch-listed traders, new traders,
sensitive goods, risky origins and low declared prices, so controlled declarations are not a fair sample. A
small random sample of the rest is controlled too. Only controlled declarations have an outcome, and a control
finds a fraud only with the probability ``config.detection[control_type][fraud_type]``.
"""

import numpy as np
import pandas as pd

from smartcustoms.world.config import CONTROL_TYPES, FRAUD_TYPES, WorldConfig
from smartcustoms.world.sampling import choice

COLUMNS = ["declaration_id", "inspection_date", "control_type", "selection_reason", "result", "infringement",
           "duty_recovered"]
RISKY_ORIGINS = ("CN", "MY", "TH", "VN", "KH", "ID", "AE")
# weights of the administration's historic risk score
SCORE_WEIGHTS = {"watchlist_importer": 2.5, "watchlist_declarant": 1.0, "new_importer": 1.2,
                 "sensitive_goods": 0.6, "risky_origin": 0.4, "low_price": 1.5, "noise": 1.0}


def _intercept(score: np.ndarray, rate: float) -> float:
    """The shift c such that the mean of sigmoid(score + c) is ``rate``."""
    low, high = -40.0, 40.0
    for _ in range(50):
        mid = (low + high) / 2
        if (1 / (1 + np.exp(-(score + mid)))).mean() < rate:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def risk_score(signals: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """The old rules' score per declaration from 0/1 signals (columns named as in SCORE_WEIGHTS)."""
    score = rng.normal(0.0, SCORE_WEIGHTS["noise"], len(signals))
    for name, weight in SCORE_WEIGHTS.items():
        if name != "noise":
            score += weight * signals[name].to_numpy(dtype=float)
    return score


def historic_controls(config: WorldConfig, rng: np.random.Generator, signals: pd.DataFrame,
                      truth: pd.DataFrame) -> pd.DataFrame:
    """One row per controlled declaration (COLUMNS).

    ``signals``: declaration_id, acceptance_datetime and the 0/1 risk signals the administration could see.
    ``truth``: fraud_type and duty_at_stake per declaration, in the same order.
    """
    n = len(signals)
    score = risk_score(signals, rng)
    p = 1 / (1 + np.exp(-(score + _intercept(score, config.risk_control_rate))))
    risk = rng.random(n) < p
    random_p = config.random_control_rate / max(1e-9, 1 - config.risk_control_rate)
    random = ~risk & (rng.random(n) < random_p)
    controlled = np.flatnonzero(risk | random)
    by_risk = risk[controlled]

    control = np.empty(len(controlled), dtype=np.int64)
    for reason, rows in (("risk", by_risk), ("random", ~by_risk)):
        mix = np.array([config.control_type_mix[reason][c] for c in CONTROL_TYPES])
        control[rows] = choice(rng, mix, int(rows.sum()))

    fraud = truth["fraud_type"].to_numpy()[controlled]
    detect = np.array([[config.detection[c][f] for f in FRAUD_TYPES] for c in CONTROL_TYPES])
    fraud_index = pd.Index(FRAUD_TYPES).get_indexer(fraud)
    chance = np.where(fraud_index >= 0, detect[control, np.maximum(fraud_index, 0)], 0.0)
    found = rng.random(len(controlled)) < chance

    delay = np.where(np.array(CONTROL_TYPES)[control] == "physical", rng.integers(0, 4, len(controlled)),
                     rng.integers(0, 2, len(controlled)))
    accepted = signals["acceptance_datetime"].to_numpy()[controlled].astype("datetime64[D]")
    return pd.DataFrame(
        {
            "declaration_id": signals["declaration_id"].to_numpy()[controlled],
            "inspection_date": (accepted + delay.astype("timedelta64[D]")).astype("datetime64[s]"),
            "control_type": np.array(CONTROL_TYPES, dtype=object)[control],
            "selection_reason": np.where(by_risk, "risk", "random").astype(object),
            "result": np.where(found, "discrepancy", "no_discrepancy").astype(object),
            "infringement": np.where(found, fraud, "").astype(object),
            "duty_recovered": np.where(found, truth["duty_at_stake"].to_numpy()[controlled], 0.0),
        },
        columns=COLUMNS,
    )
