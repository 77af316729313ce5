"""Risk screens fitted on the small generated history that the web, browser and passenger tests share: once per
test process (a session-scoped fixture imported into several test modules is otherwise set up once per module)."""

import functools
from pathlib import Path

import pandas as pd

from smartcustoms.risk.config import RiskConfig, load_config
from smartcustoms.risk.service import fit_screens
from smartcustoms.targeting.screen import ModelScreen
from smartcustoms.world import WorldConfig, generate

AS_OF = pd.Timestamp("2025-03-02")
RISK_SETTINGS = Path(__file__).with_name("risk_settings.yaml")


def risk_config(**changes) -> RiskConfig:
    """The tests' risk settings (tests/risk_settings.yaml: the built-in ones with a smaller classification screen),
    with these changes."""
    return load_config(RISK_SETTINGS).model_copy(update=changes)


@functools.cache
def small_world():
    return generate(WorldConfig(declarations=800, seed=3, days=60))


@functools.cache
def _screens(model: bool) -> dict:
    world = small_world()
    screens = fit_screens(world.declarations, world.inspections, AS_OF, risk_config(model=False))
    if model:  # the small world has fewer outcomes than a model needs in service: a lower minimum here
        screens["model"] = ModelScreen(min_outcomes=20, min_found=3).fit(world.declarations, world.inspections,
                                                                         as_of=AS_OF)
    return screens


def screens(model: bool = False) -> dict:
    """The screens (and the targeting model when `model`) fitted on `small_world()` before AS_OF; a new dict of the
    same fitted screens each time (do not change a screen itself: monkeypatch it)."""
    return dict(_screens(model))
