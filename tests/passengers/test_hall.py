"""The arrival-hall model: its queue against M/M/c (Erlang C) and Little's law, and pre-screening's effect."""

from dataclasses import replace

import pytest

from smartcustoms.control.queueing import mmc
from smartcustoms.passengers.hall import Hall, meets, mmc_run, replicate, simulate
from smartcustoms.passengers.rules import select


@pytest.mark.parametrize("servers, arrival, service", [(1, 0.5, 1.0), (3, 2.4, 1.0)])
def test_queue_matches_erlang_c_and_littles_law(servers, arrival, service):
    run = mmc_run(arrival, service, servers, customers=20_000, seed=3)
    theory = mmc(arrival, 1 / service, servers)
    assert run["mean_wait"] == pytest.approx(theory.mean_wait, rel=0.15, abs=0.02)
    assert run["mean_sojourn"] == pytest.approx(theory.mean_sojourn, rel=0.1)
    assert run["mean_in_system"] == pytest.approx(run["arrival_rate"] * run["mean_sojourn"], rel=0.03)


def test_every_passenger_leaves_and_bags_are_screened_before_the_belt():
    hall = Hall(passengers=60, officers=2, lanes=2)
    run = simulate(hall, seed=2)
    assert len(run.claim_to_exit) == 60 and (run.claim_to_exit >= 0).all()
    assert run.bags_screened is not None and hall.unload_window_min[0] < run.bags_screened < run.cleared


def test_prescreening_shortens_the_time_from_bags_to_exit():
    hall = Hall(passengers=150, officers=2, lanes=3)
    with_ = replicate(hall, 4)
    without = replicate(replace(hall, prescreening=False), 4)
    assert with_["claim_to_exit_minutes"]["mean"] < without["claim_to_exit_minutes"]["mean"]
    assert without["bags_screened_minutes"] is None
    low, high = with_["share_out_within_5_min"]["ci95"]
    assert low <= with_["share_out_within_5_min"]["mean"] <= high


def test_meets_checks_both_targets():
    good = {"share_out_within_5_min": {"mean": 0.99}, "flight_cleared_minutes": {"mean": 29}}
    assert meets(good) and not meets({**good, "flight_cleared_minutes": {"mean": 31}})


def test_selection_under_cap_keeps_the_musts():
    chosen = select({1: 0.9, 2: 0.8, 3: 0.5, 4: 0.1}, must={7}, cap_rate=0.5, passengers=6)
    assert chosen == {7, 1, 2}
    assert select({1: 0.2}, must=set(), cap_rate=0.5, passengers=4) == set()
