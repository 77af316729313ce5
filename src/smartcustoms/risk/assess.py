"""assess(frame) -> one decision per declaration: screens, profiles, then selectivity. Pure: the caller gives
fitted screens, the profiles and suppressions in force, and the settings."""

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from smartcustoms.frames import first_rows, records
from smartcustoms.risk.profiles import Profile, Suppression, evaluate
from smartcustoms.risk.selectivity import SelectivitySettings, explanation, select, top_reason
from smartcustoms.risk.signals import profile_signals, screen_signals

HEADER = ["declaration_id", "office_id", "transport_mode", "acceptance_datetime", "importer_id", "declarant_id"]


@dataclass
class RiskEngine:
    screens: dict = field(default_factory=dict)  # name -> fitted screen with .score(frame)
    profiles: list[Profile] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    settings: SelectivitySettings = field(default_factory=SelectivitySettings)
    model_version: str | None = None
    # the combined score learned from outcomes (risk.combination.LearnedCombination, fitted); None, a
    # combination that could not be learned, or settings.combination == "fixed": the fixed weights
    combination: object | None = None

    def learned(self):
        """The learned combination in force, or None (fixed weights)."""
        combination = self.combination
        if combination is None or self.settings.combination != "learned":
            return None
        return combination if getattr(combination, "method_", "none") != "none" else None

    def provenance(self) -> dict:
        settings = self.settings.model_dump(mode="json")
        if self.combination is not None and hasattr(self.combination, "describe"):
            settings["learned_combination"] = self.combination.describe()
        return {
            "settings_version": self.settings.version(),
            "settings": settings,
            "profiles": {p.profile_id: p.version for p in self.profiles},
            "model_version": self.model_version,
        }


def score_items(frame: pd.DataFrame, engine: RiskEngine) -> pd.DataFrame:
    """Every screen's columns for every goods item (same index as `frame`)."""
    parts = [screen.score(frame) for screen in engine.screens.values()]
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)


def assess(frame: pd.DataFrame, engine: RiskEngine) -> pd.DataFrame:
    """Goods-item rows in, one row per declaration out: lane, source, random flag, risk score, duty at risk,
    each screen's score / share / reason, the profile hits, and the capacity note. The risk score is the learned
    combination's when the engine has one (with each part's ``contribution_<part>``), else the fixed weights'."""
    return decide(risk_signals(frame, engine), engine)


def decide(signals: pd.DataFrame, engine: RiskEngine) -> pd.DataFrame:
    """Selectivity on gathered risk signals, with the engine's learned combination when it has one."""
    learned = engine.learned()
    if learned is None:
        return select(signals, engine.settings)
    return select(signals, engine.settings, combined=learned.combine(signals, list(engine.screens)),
                  method=learned.method_)


def risk_signals(frame: pd.DataFrame, engine: RiskEngine) -> pd.DataFrame:
    """The part of `assess` before selectivity: one row of risk signals per declaration (header, each screen's
    signals, the profile signals), in the order in which declarations first appear. A partition function:
    smartcustoms.scale maps it over the partitions of a batch, then selects on the gathered signals."""
    frame = frame.reset_index(drop=True)
    scores = score_items(frame, engine)
    extra = [c for c in ("new_importer",) if c in scores.columns]
    hits = evaluate(engine.profiles, frame.assign(**{c: scores[c] for c in extra}), engine.suppressions)
    header = frame[HEADER].take(first_rows(frame["declaration_id"])).reset_index(drop=True)
    parts = [screen_signals(frame, scores, list(engine.screens)), profile_signals(frame, hits)]
    # all three are in the order in which declarations first appear in the frame
    return pd.concat([header, *[part.reset_index(drop=True) for part in parts]], axis=1)


def calibrated(engine: RiskEngine, reference: pd.DataFrame) -> RiskEngine:
    """With ``expected_selection_rate`` set (ASYCUDA style), the engine whose yellow threshold would have sent
    that share of `reference` (recent declarations) to yellow or red, so that a declaration assessed alone
    meets the same bar as one in a batch."""
    rate = engine.settings.expected_selection_rate
    if not rate or reference.empty:
        return engine
    scores = assess(reference, engine)["risk_score"].to_numpy()
    threshold = min(float(np.quantile(scores, 1 - rate)), engine.settings.red_threshold)
    return replace(engine, settings=engine.settings.model_copy(update={"yellow_threshold": threshold}))


def explain(decided: pd.DataFrame, screens: list[str]) -> pd.DataFrame:
    """Add the JSON explanation and a one-line top reason (done at storage or display time: it costs)."""
    rows = records(decided, as_is=True)
    return decided.assign(explanation=[explanation(row, screens) for row in rows],
                          top_reason=[top_reason(row, screens) for row in rows])
