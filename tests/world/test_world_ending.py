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


def test_a_world_ending_today_holds_no_control_that_ends_after_it(tmp_path):
    """Controls run for days after lodgement: those of the last days would end after today, and an outcome dated in
    the future is refused by the outcomes import (`make demo` failed on 2026-12-08 with seed 7). The demo's world
    keeps only the controls that ended before today, and its outcomes read."""
    from smartcustoms.cli.world import build_world
    from smartcustoms.outcomes.models import read_outcomes

    end = date(2026, 12, 8)
    unfiltered = generate(WorldConfig(declarations=3000, seed=7).ending(end)).inspections
    assert (pd.to_datetime(unfiltered["inspection_date"]) >= pd.Timestamp(end)).any()  # what the generator gives
    build_world(3000, 7, tmp_path, drift=False, end=end)
    kept = pd.read_csv(tmp_path / "inspections.csv", parse_dates=["inspection_date"])
    assert kept["inspection_date"].max() < pd.Timestamp(end)
    assert len(kept) == (pd.to_datetime(unfiltered["inspection_date"]) < pd.Timestamp(end)).sum()
    assert len(read_outcomes(tmp_path / "inspections.csv")) == len(kept)
