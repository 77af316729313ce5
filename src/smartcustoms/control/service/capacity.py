"""Capacity planning's use cases, the ones web and CLI call: simulate an office's clearance, find the officers or
the remote share that meet a release-time target, and check the simulation against the M/M/c (Erlang C)
formulas. Pure computation (control.capacity, control.queueing): no database, no transaction."""

from collections.abc import Callable

import pandas as pd

from smartcustoms.control import capacity, queueing
from smartcustoms.control.capacity import (
    ARRIVAL_PROFILES,
    DEFAULT_HOURS,
    DEFAULT_WARMUP,
    CapacityConfig,
    CapacityPlan,
    ServiceTime,
    SimulationResult,
)

# the models of the use cases' input and output
__all__ = ["ARRIVAL_PROFILES", "CapacityConfig", "CapacityPlan", "ServiceTime", "SimulationResult"]


def offered_load(config: CapacityConfig) -> pd.DataFrame:
    """Per office: the mean number of officers (and bays) kept busy during the shift by the day's work."""
    return capacity.offered_load(config)


def simulate(config: CapacityConfig, hours: float = DEFAULT_HOURS, seed: int = 1,
             warmup_hours: float = DEFAULT_WARMUP) -> SimulationResult:
    """Run the clearance process for `hours` of arrivals, then until every declaration is released."""
    return capacity.simulate(config, hours=hours, seed=seed, warmup_hours=warmup_hours)


def officers_needed(config: CapacityConfig, target_share: float = 0.9, within_hours: float = 12.0,
                    lane: str = "red", office: str | None = None, max_officers: int = 50,
                    hours: float = DEFAULT_HOURS, seed: int = 1, warmup_hours: float = DEFAULT_WARMUP,
                    runs: int = 1, on_try: Callable[[dict], None] | None = None) -> CapacityPlan:
    """The fewest officers with which `target_share` of the lane's declarations are released within
    `within_hours` (control.capacity.officers_needed)."""
    return capacity.officers_needed(config, target_share, within_hours, lane, office, max_officers, hours, seed,
                                    warmup_hours, runs, on_try)


def remote_share_needed(config: CapacityConfig, target_share: float = 0.9, within_hours: float = 12.0,
                        lane: str = "red", step: float = 0.05, office: str | None = None,
                        hours: float = DEFAULT_HOURS, seed: int = 1, warmup_hours: float = DEFAULT_WARMUP,
                        runs: int = 1, on_try: Callable[[dict], None] | None = None) -> CapacityPlan:
    """The smallest share of remote inspections that meets the target (control.capacity.remote_share_needed)."""
    return capacity.remote_share_needed(config, target_share, within_hours, lane, step, office, hours, seed,
                                        warmup_hours, runs, on_try)


def remote_share_grid(step: float) -> list[float]:
    """The remote shares tried: 0, step, 2 step, ... up to and including 1."""
    return capacity.remote_share_grid(step)


def check_against_mmc(arrival_rate: float, service_rate: float, servers: int, hours: float = 50_000,
                      seed: int = 1, warmup_hours: float = 200, t: float = 1.0, batches: int = 20) -> pd.DataFrame:
    """An M/M/c queue simulated with this model, each figure beside its Erlang C formula and a z score.
    ValueError for a queue the formulas do not cover (an unstable one, a rate or server count out of range)."""
    queueing.mmc(arrival_rate, service_rate, servers)
    return capacity.check_against_mmc(arrival_rate, service_rate, servers, hours=hours, seed=seed,
                                      warmup_hours=warmup_hours, t=t, batches=batches)
