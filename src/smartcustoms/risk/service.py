"""Risk assessment against the database: fit the screens on what was known before, assess, record."""

from datetime import datetime

import pandas as pd
from sqlalchemy import Engine

from smartcustoms.declarations.repository import load_declarations
from smartcustoms.outcomes.service import load_outcomes
from smartcustoms.risk import repository as profile_store
from smartcustoms.risk.assess import RiskEngine, assess, calibrated
from smartcustoms.risk.classification import ClassificationScreen
from smartcustoms.risk.config import RiskConfig, RiskConfigError, load_config
from smartcustoms.risk.origin import OriginScreen
from smartcustoms.risk.profiles import (
    DERIVED_FIELDS,
    FIELD_KINDS,
    OPERATORS_BY_KIND,
    Profile,
    ProfileError,
    Suppression,
    load_profile_dir,
    parse_profiles,
    profile_files,
)
from smartcustoms.risk.replay import ReplayReport
from smartcustoms.risk.replay import run as replay_run
from smartcustoms.risk.repository import (
    LogEntry,
    MakerCheckerError,
    OverrideError,
    ProfileStoreError,
    active_suppressions,
    add_suppression,
    approve,
    commit_sources,
    decision,
    get_profile,
    latest_decisions,
    override,
    profile_log,
    profile_summaries,
    publish,
    published_profiles,
    record_assessment,
    retire,
)
from smartcustoms.risk.signals import LANES
from smartcustoms.risk.traders import TraderRisk
from smartcustoms.risk.valuation import ValuationScreen
from smartcustoms.targeting import service as targeting
from smartcustoms.targeting.model import TargetingModel
from smartcustoms.targeting.screen import ModelScreen


def fit_screens(history: pd.DataFrame, outcomes: pd.DataFrame, as_of, config: RiskConfig,
                champion: tuple[dict, TargetingModel] | None = None) -> dict:
    """The four screens, and the targeting model when ``config.model``, fitted on declarations and outcomes
    dated before `as_of`. The model is the registry's `champion` (its row and model) when given, else one
    fitted here."""
    screens = {
        "valuation": ValuationScreen(),
        "classification": ClassificationScreen(**config.classification.parameters()),
        "origin": OriginScreen(config=config.origin),
        "trader": TraderRisk(aeo_importers=tuple(config.aeo_importers)),
    }
    if config.model:
        screens["model"] = (ModelScreen(model=champion[1], model_id=champion[0]["model_id"]) if champion
                            else ModelScreen())
    return {name: screen.fit(history, outcomes, as_of=as_of) for name, screen in screens.items()}


def learn_combination(history: pd.DataFrame, outcomes: pd.DataFrame, as_of, config: RiskConfig,
                      profiles: list[Profile], suppressions: list[Suppression]):
    """The combined score learned from the outcomes known before `as_of` (risk.combination): screens fitted as
    of the start of a holdout window score its declarations out of time."""
    from smartcustoms.risk.combination import fit_combination

    return fit_combination(
        history, outcomes, as_of,
        fit_screens=lambda before, known, cut: fit_screens(before, known, cut, config),
        engine_of=lambda screens: RiskEngine(screens=screens, profiles=profiles, suppressions=suppressions,
                                             settings=config.selectivity))


def _champion(db: Engine) -> tuple[dict, TargetingModel] | None:
    try:
        return targeting.champion(db)
    except targeting.ArtifactError:
        raise  # a champion whose file is missing or altered must stop the assessment, not be skipped
    except targeting.RegistryError:  # no champion yet
        return None


def build_engine(db: Engine, as_of: datetime, config: RiskConfig, profiles: list[Profile] | None = None,
                 suppressions: list[Suppression] | None = None, screens: dict | None = None,
                 combination=None) -> RiskEngine:
    """A risk engine for declarations from `as_of` on: screens fitted on the history before it (the targeting
    model: the registry's champion when there is one), the combined score learned from the outcomes known before
    it (`learn_combination`, with ``combination: learned``; with given `screens`, the given `combination`), and the
    profiles published now (or the given drafts) with the suppressions in force now."""
    profiles = profile_store.published_profiles(db) if profiles is None else profiles
    suppressions = profile_store.active_suppressions(db) if suppressions is None else suppressions
    if screens is None:
        history, outcomes = load_declarations(db, end=as_of), load_outcomes(db)
        screens = fit_screens(history, outcomes, as_of, config, _champion(db) if config.model else None)
        if config.selectivity.combination == "learned":
            combination = learn_combination(history, outcomes, as_of, config, profiles, suppressions)
    engine = RiskEngine(
        screens=screens,
        profiles=profiles,
        suppressions=suppressions,
        settings=config.selectivity,
        model_version=getattr(screens.get("model"), "version", None),
        combination=combination,
    )
    if config.selectivity.expected_selection_rate:
        recent = load_declarations(db, start=pd.Timestamp(as_of) - pd.Timedelta(days=30), end=as_of)
        engine = calibrated(engine, recent)
    return engine


def assess_and_record(db: Engine, frame: pd.DataFrame, engine: RiskEngine, actor: str) -> pd.DataFrame:
    """Assess declarations and write the decisions, with their explanations, to the audit trail."""
    decided = assess(frame, engine, explained=True)
    record_assessment(db, decided, engine.provenance(), actor)
    return decided


# --- the profile store and the replay of drafts: what web and CLI call ------------------------------------------
# The profile store's use cases (one transaction each) live in risk.repository with their SQL; web and CLI reach
# them (imported at the top), the profile language's words and its refusals here.

__all__ = [
    "DERIVED_FIELDS", "FIELD_KINDS", "LANES", "LogEntry", "MakerCheckerError", "OPERATORS_BY_KIND", "OverrideError",
    "decision",
    "ProfileError", "ProfileStoreError", "ReplayReport", "RiskConfig", "RiskConfigError", "RiskEngine",
    "active_suppressions", "add_suppression", "approve", "assess_and_record", "build_engine", "commit_sources",
    "fit_screens", "get_profile", "latest_decisions", "learn_combination", "load_config", "load_profile_dir",
    "override", "parse_profiles", "profile_files", "profile_log", "profile_summaries", "publish",
    "published_profiles", "replay", "retire",
]


def replay(db: Engine, drafts: list[Profile], start: datetime, end: datetime, config: RiskConfig,
           screens: dict | None = None, *, with_published: bool = False) -> ReplayReport | None:
    """Replay draft profiles over [start, end) (risk.replay): what they would have selected, nothing written.
    The screens learn only from what was dated before `start` (or are given, fitted that way already); with
    `with_published`, the published profiles run beside the drafts (each draft replacing its own earlier
    version). None when no declaration was accepted then."""
    frame = load_declarations(db, start=start, end=end)
    if frame.empty:
        return None
    published = build_engine(db, start, config, screens=screens)
    return replay_run(frame, load_outcomes(db), published, drafts, start, end, config,
                      with_published=with_published)
