"""A world moved in time to end on a given day (the demo's world ends the day `make demo` runs)."""

from datetime import date

import pandas as pd

from smartcustoms.world import WorldConfig, generate


def test_a_world_ending_today_holds_the_days_before_it():
    config = WorldConfig(declarations=300, seed=5, days=30).ending(date(2026, 12, 7))
    assert config.start == "2026-11-07" and config.days == 30
    accepted = pd.to_datetime(generate(config).declarations["acceptance_datetime"])
    assert accepted.max() < pd.Timestamp("2026-12-07") and accepted.min() >= pd.Timestamp("2026-11-07")
    assert accepted.max() >= pd.Timestamp("2026-12-05")  # the last days are lived in, not left empty
