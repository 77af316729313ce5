"""Capacity planning: the clearance simulation, checked against the M/M/c (Erlang C) formulas, and its searches."""

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from smartcustoms.cli import capacity as cli
from smartcustoms.control import capacity as cap
from smartcustoms.control import queueing as q

# --- the formulas, on cases computed by hand ------------------------------------------------------------------


def test_erlang_c_on_a_hand_computed_case():
    # lambda = 2, mu = 1.5, c = 2: a = lambda/mu = 4/3, rho = a/c = 2/3.
    # C = (a^2/2! / (1 - rho)) / (1 + a + a^2/2! / (1 - rho)) = (8/9 * 3) / (7/3 + 8/3) = (8/3) / 5 = 8/15.
    # Wq = C / (c mu - lambda) = (8/15) / 1 = 8/15 h; W = Wq + 1/mu = 8/15 + 10/15 = 1.2 h; Lq = lambda Wq = 16/15.
    figures = q.mmc(2, 1.5, 2)
    assert figures.utilisation == pytest.approx(2 / 3)
    assert figures.p_wait == pytest.approx(8 / 15)
    assert figures.mean_wait == pytest.approx(8 / 15)
    assert figures.mean_sojourn == pytest.approx(1.2)
    assert figures.mean_queue == pytest.approx(16 / 15)
    assert q.wait_exceeds(1.0, 2, 1.5, 2) == pytest.approx(8 / 15 * math.exp(-1))  # C exp(-(c mu - lambda) t)
    assert q.wait_exceeds(0.0, 2, 1.5, 2) == pytest.approx(8 / 15)


def test_one_server_reduces_to_mm1():
    for lam, mu in ((1, 2), (0.5, 0.6), (3, 10)):
        rho = lam / mu
        figures = q.mmc(lam, mu, 1)
        assert figures.p_wait == pytest.approx(rho)  # M/M/1: an arrival waits when the server is busy
        assert figures.mean_wait == pytest.approx(rho / (mu - lam))
        assert figures.mean_sojourn == pytest.approx(1 / (mu - lam))
        # M/M/1 sojourn is exponential at mu - lambda
        assert q.sojourn_exceeds(2.0, lam, mu, 1) == pytest.approx(math.exp(-(mu - lam) * 2.0))


def test_sojourn_tail_is_a_tail_and_is_continuous_where_theta_equals_mu():
    assert q.sojourn_exceeds(0.0, 2, 1.5, 2) == pytest.approx(1.0)
    tail = [q.sojourn_exceeds(t, 2, 1.5, 2) for t in (0.5, 1, 2, 4, 8)]
    assert tail == sorted(tail, reverse=True) and tail[-1] < 0.01
    # c mu - lambda == mu when lambda = (c - 1) mu: the closed form switches branch; both sides must agree
    exact = q.sojourn_exceeds(1.3, 1.0, 1.0, 2)
    assert q.sojourn_exceeds(1.3, 1.0 + 1e-7, 1.0, 2) == pytest.approx(exact, rel=1e-5)


def test_servers_needed_is_the_smallest_count_meeting_the_target():
    c = q.servers_needed(8, 1, within=3, target_share=0.9)
    assert c is not None and c > 9  # 9 is the smallest stable count
    assert 1 - q.sojourn_exceeds(3, 8, 1, c) >= 0.9 > 1 - q.sojourn_exceeds(3, 8, 1, c - 1)
    assert q.servers_needed(1, 0.1, within=1, target_share=0.9) is None  # the control alone takes too long


@pytest.mark.parametrize("args", [(2, 1, 2), (3, 1, 2), (1, 1, 1), (-1, 1, 1), (1, 0, 1), (1, 1, 0), (1, 1, 1.5)])
def test_formulas_reject_unstable_or_meaningless_queues(args):
    with pytest.raises(ValueError, match="unstable|rates|servers"):
        q.mmc(*args)


# --- the simulation against the formulas ------------------------------------------------------------------------
# One lane, exponential controls, officers around the clock, no bays: the model is then exactly M/M/c.
# 50,000 hours at lambda = 2 is about 100,000 declarations; batch means over 20 spans give standard errors of
# 1-3% of each figure, so a fault of 10% would sit 3 to 10 standard errors away. We ask |z| < 4 (a chance of
# about 1 in 16,000 per figure were the model right; the seeds are fixed, so the test does not flicker).


def _assert_matches_formulas(check, max_relative_error):
    for row in check.itertuples():
        assert abs(row.z) < 4, f"{row.figure}: simulated {row.simulated:.4f}, Erlang C {row.formula:.4f}"
        assert abs(row.relative_error) < max_relative_error, row.figure
        assert row.std_error < 0.05 * row.formula, f"{row.figure}: the run is too short to be a check"


def test_simulation_matches_erlang_c_and_would_catch_a_wrong_service_rate():
    check = cap.check_against_mmc(2, 1.5, 2, hours=50_000, seed=3, t=1.0)
    assert len(check) == 6
    _assert_matches_formulas(check, max_relative_error=0.08)
    wrong = q.mmc(2, 1.5 * 0.9, 2).mean_wait  # had the controls been 10% slower than asked
    wait = check.set_index("figure").loc["mean wait Wq (h)"]
    assert abs(wait["simulated"] - wrong) / wait["std_error"] > 4


def test_simulation_with_one_officer_matches_mm1():
    check = cap.check_against_mmc(1, 2, 1, hours=40_000, seed=2, t=1.0)
    wait = check.set_index("figure").loc["mean wait Wq (h)"]
    assert wait["formula"] == pytest.approx(0.5 / (2 - 1))  # rho / (mu - lambda)
    _assert_matches_formulas(check, max_relative_error=0.08)


def test_bays_form_a_queue_of_their_own_and_remote_inspections_skip_it():
    # plenty of officers, one bay: on-site inspections queue for the bay as an M/M/1 (lambda 0.5, mu 1: Wq = 1 h)
    config = cap.CapacityConfig.one_office(0.5, officers=20, slots=1, lane_shares={"red": 1.0},
                                           on_site=cap.exponential(1.0), remote=cap.exponential(1.0))
    waits = cap.simulate(config, hours=40_000, seed=1, warmup_hours=100).declarations["wait"]
    assert waits.mean() == pytest.approx(q.mmc(0.5, 1.0, 1).mean_wait, rel=0.1)
    remote = cap.simulate(config.model_copy(update={"remote_share": 1.0}), hours=2_000, seed=1)
    assert set(remote.declarations["mode"]) == {"remote"}
    assert remote.declarations["wait"].max() < 1e-9  # 20 officers, 0.5 arrivals/h: nobody waits
    assert set(remote.utilisation["resource"]) == {"officers", "slots"}
    assert remote.utilisation.set_index("resource").loc["slots", "busy_hours"] == 0


# --- the model's behaviour --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def office():
    return cap.CapacityConfig.one_office(40, officers=3, slots=3, remote_share=0.3, auto_release_hours=0.25)


def test_green_and_blue_are_released_after_the_automatic_delay(office):
    frame = cap.simulate(office, hours=24 * 7, seed=1).declarations
    auto = frame[frame["lane"].isin(["green", "blue"])]
    assert len(auto) > 1000 and set(auto["mode"]) == {"automatic"}
    assert np.allclose(auto["release_time_hours"], 0.25) and np.allclose(auto["wait"], 0)
    controlled = frame[~frame["lane"].isin(["green", "blue"])]
    assert (controlled["release"] >= controlled["start"]).all() and (controlled["wait"] >= 0).all()
    shares = frame["lane"].value_counts(normalize=True)
    assert shares["green"] == pytest.approx(0.80, abs=0.02) and shares["red"] == pytest.approx(0.05, abs=0.01)
    red = frame[frame["lane"] == "red"]
    assert (red["mode"] == "remote").mean() == pytest.approx(0.3, abs=0.05)


def test_the_same_seed_gives_the_same_results(office):
    first, again = cap.simulate(office, hours=24 * 5, seed=7), cap.simulate(office, hours=24 * 5, seed=7)
    assert first.declarations.equals(again.declarations) and first.utilisation.equals(again.utilisation)
    other = cap.simulate(office, hours=24 * 5, seed=8)
    assert not first.declarations["arrival"].equals(other.declarations["arrival"])


@pytest.mark.parametrize("shift", [(8.0, 18.0), (22.0, 6.0)])
def test_controls_start_only_during_the_shift(shift):
    config = cap.CapacityConfig.one_office(30, officers=6, slots=4, shift=shift)
    frame = cap.simulate(config, hours=24 * 7, seed=1).declarations
    hour = frame.loc[frame["mode"] != "automatic", "start"] % 24
    on_duty = (hour >= shift[0]) & (hour < shift[1]) if shift[0] < shift[1] else (hour >= shift[0]) | (hour < shift[1])
    assert on_duty.all() and len(hour) > 500
    usage = cap.simulate(config, hours=24 * 7, seed=1).utilisation.set_index("resource")
    assert usage.loc["officers", "open_hours"] == pytest.approx(6 * (10 if shift[0] < shift[1] else 8) * 5)


def test_an_hourly_profile_shapes_the_arrivals():
    profile = (0.0,) * 8 + (10.0,) * 10 + (0.0,) * 6  # nothing outside 08:00-18:00
    config = cap.CapacityConfig.one_office(profile, officers=5)
    arrivals = cap.simulate(config, hours=24 * 20, seed=1).declarations["arrival"]
    hours = arrivals % 24
    assert ((hours >= 8) & (hours < 18)).all()
    assert len(arrivals) == pytest.approx(100 * 18, rel=0.05)  # 100 a day, 18 days after the warm-up


def test_lognormal_control_times_have_the_mean_and_cv_asked():
    draws = cap.lognormal(1.5, 0.5).sample(np.random.default_rng(1), 200_000)
    assert draws.mean() == pytest.approx(1.5, rel=0.01)
    assert draws.std() / draws.mean() == pytest.approx(0.5, rel=0.03)
    assert np.all(cap.fixed(0.3).sample(np.random.default_rng(1), 10) == 0.3)


def test_summaries_by_lane_and_mode(office):
    result = cap.simulate(office, hours=24 * 14, seed=2)
    table = result.release_times(within_hours=12)
    rows = set(zip(table["lane"], table["mode"]))
    assert rows == {("green", "automatic"), ("yellow", "documentary"), ("red", "on_site"), ("red", "remote"),
                    ("red", "all"), ("blue", "automatic")}
    red = table.set_index(["lane", "mode"]).loc[("red", "all")]
    assert red["share_within"] == pytest.approx(result.share_within(12, lane="red"))
    assert red["median"] <= red["p90"]
    assert json.loads(json.dumps(result.to_json()))["within_hours"] == 12


def test_officer_utilisation_matches_the_offered_load():
    # mixed lanes and lognormal times: not M/M/c, but utilisation = work / capacity holds for any service law
    config = cap.CapacityConfig.one_office(40, officers=4, slots=4, remote_share=0.5)
    load = cap.offered_load(config).iloc[0]
    usage = cap.simulate(config, hours=24 * 60, seed=1).utilisation.set_index("resource")["utilisation"]
    assert usage["officers"] == pytest.approx(load["officer_load"] / 4, rel=0.04)
    assert usage["slots"] == pytest.approx(load["slot_load"] / 4, rel=0.06)


@pytest.mark.parametrize("build, message", [
    (lambda: cap.CapacityConfig.one_office(-1, officers=2), "arrivals per hour"),
    (lambda: cap.CapacityConfig.one_office((1.0,) * 23, officers=2), "24 values"),
    (lambda: cap.CapacityConfig.one_office(10, officers=0), "officers"),
    (lambda: cap.CapacityConfig.one_office(10, officers=2, lane_shares={"green": 0.9, "red": 0.2}), "sum to 1"),
    (lambda: cap.CapacityConfig.one_office(10, officers=2, lane_shares={"purple": 1.0}), "unknown lane"),
    (lambda: cap.CapacityConfig.one_office(10, officers=2, lane_shares={"green": 1.1, "red": -0.1}), ">= 0"),
    (lambda: cap.CapacityConfig.one_office(10, officers=2, remote_share=1.5), "remote_share"),
    (lambda: cap.CapacityConfig.one_office(10, officers=2, shift=(8, 8)), "shift"),
    (lambda: cap.exponential(-0.5), "mean_hours"),
    (lambda: cap.simulate(cap.CapacityConfig.one_office(10, officers=2), hours=24, warmup_hours=48), "warmup"),
])
def test_bad_configuration_raises_a_clear_value_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# --- the searches -----------------------------------------------------------------------------------------------

RUN = {"hours": 24 * 21, "warmup_hours": 48, "seed": 1}


def _day_office(arrivals: float) -> cap.CapacityConfig:
    weights = cap.ARRIVAL_PROFILES["daytime"]
    rates = tuple(arrivals * w * 24 / sum(weights) for w in weights)
    return cap.CapacityConfig.one_office(rates, officers=1, slots=8, shift=(7, 19))


def test_officers_needed_meets_the_target_and_one_less_does_not():
    config = _day_office(40)
    tried = []
    plan = cap.officers_needed(config, target_share=0.9, within_hours=12, on_try=tried.append, **RUN)
    assert plan.answer is not None and plan.answer > 1
    assert len(tried) == len(plan.tried)
    shares = plan.tried.set_index("value")["share_within"]
    assert shares[plan.answer] >= 0.9 > shares[plan.answer - 1]
    for count, meets in ((plan.answer, True), (plan.answer - 1, False)):  # the same figures when run again
        share = cap.simulate(config.with_officers(count), **RUN).share_within(12, lane="red")
        assert (share >= 0.9) is meets and share == pytest.approx(shares[count])


def test_more_arrivals_never_need_fewer_officers():
    answers = [cap.officers_needed(_day_office(a), target_share=0.9, within_hours=12, **RUN).answer
               for a in (10, 25, 40, 60)]
    assert None not in answers
    assert answers == sorted(answers) and answers[-1] > answers[0]


def test_officers_search_stops_when_the_bays_bind():
    config = cap.CapacityConfig.one_office(40, officers=3, slots=2)  # on-site work keeps 2.0 bays busy: unstable
    plan = cap.officers_needed(config, max_officers=30, **RUN)
    assert plan.answer is None and "bays" in plan.note and len(plan.tried) < 10


def test_remote_share_needed_when_remote_inspections_are_faster():
    config = cap.CapacityConfig.one_office(40, officers=3, slots=2)  # the bays bind; remote inspections need none
    plan = cap.remote_share_needed(config, target_share=0.9, within_hours=12, step=0.05, **RUN)
    assert plan.answer is not None and 0 < plan.answer < 1
    assert list(plan.tried["value"]) == cap.remote_share_grid(0.05)[:len(plan.tried)]
    assert plan.tried["meets"].tolist() == [False] * (len(plan.tried) - 1) + [True]
    slower = config.model_copy(update={"remote": cap.lognormal(3.0, 0.5)})  # remote slower: officers bind
    assert cap.remote_share_needed(slower, within_hours=12, step=0.25, **RUN).answer is None


def test_searches_reject_bad_targets_and_unnamed_offices():
    two = cap.CapacityConfig(offices=(cap.Office(name="port", arrivals_per_hour=10, officers=2),
                                      cap.Office(name="airport", arrivals_per_hour=5, officers=1)))
    with pytest.raises(ValueError, match="name the office"):
        cap.officers_needed(two, **RUN)
    with pytest.raises(ValueError, match="target share"):
        cap.officers_needed(two, target_share=1.5, office="port", **RUN)
    with pytest.raises(ValueError, match="share is 0"):
        cap.remote_share_needed(cap.CapacityConfig.one_office(10, officers=1, lane_shares={"green": 1.0}), **RUN)
    with pytest.raises(ValueError, match="unique"):
        cap.CapacityConfig(offices=(cap.Office(arrivals_per_hour=1, officers=1),) * 2)
    plan = cap.officers_needed(two, office="airport", **RUN)
    assert plan.answer is not None


def test_several_offices_keep_their_own_officers():
    two = cap.CapacityConfig(offices=(cap.Office(name="port", arrivals_per_hour=40, officers=3, slots=3),
                                      cap.Office(name="airport", arrivals_per_hour=10, officers=1, slots=1)))
    result = cap.simulate(two, hours=24 * 7, seed=1)
    counts = result.declarations["office"].value_counts()
    assert counts["port"] == pytest.approx(4 * counts["airport"], rel=0.1)
    assert set(result.utilisation["office"]) == {"port", "airport"}
    port = cap.simulate(two.with_officers(6, "port"), hours=24 * 7, seed=1)
    airport = port.select(office="airport")
    assert airport.equals(result.select(office="airport"))  # the airport does not see the port's officers


# --- the command ------------------------------------------------------------------------------------------------


def _invoke(*args):
    return CliRunner().invoke(cli.app, [str(a) for a in args], env={"COLUMNS": "200"})


def test_cli_simulate_prints_tables_and_draws_charts(tmp_path):
    for chart in (tmp_path / "release.png", tmp_path / "release.svg"):
        result = _invoke("simulate", "--arrivals-per-hour", 40, "--red-share", 0.05, "--officers", 3,
                         "--remote-share", 0.2, "--days", 3, "--chart", chart, "--out", tmp_path / "d.csv")
        assert result.exit_code == 0, result.output
        assert chart.stat().st_size > 1000
    assert (tmp_path / "release.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "release.svg").read_text()
    assert "documentary" in result.stdout and "on_site" in result.stdout and "remote" in result.stdout
    assert "Utilisation" in result.stdout and "Red lane:" in result.stdout
    assert (tmp_path / "d.csv").read_text().startswith("office,lane,mode,arrival")


def test_cli_simulate_warns_when_the_queue_cannot_keep_up():
    result = _invoke("simulate", "--officers", 1, "--days", 2, "--warmup-days", 0, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)  # the warning goes to stderr, stdout holds the JSON only
    assert payload["config"]["offices"][0]["officers"] == 1
    assert "queue grows" in result.stderr


def test_cli_plan_prints_the_tried_values_and_the_answer():
    result = _invoke("plan", "--target", 0.9, "--within", 12, "--vary", "officers", "--days", 7, "--runs", 1)
    assert result.exit_code == 0, result.output
    assert "officers tried" in result.stdout and "Answer: 3 officers" in result.stdout
    shares = _invoke("plan", "--vary", "remote-share", "--slots", 2, "--days", 7, "--runs", 1, "--json")
    assert shares.exit_code == 0, shares.output
    payload = json.loads(shares.stdout)
    assert payload["variable"] == "remote_share" and payload["answer"] is not None
    assert payload["tried"][-1]["meets"] and not payload["tried"][0]["meets"]


def test_cli_validate_prints_formula_and_simulation():
    result = _invoke("validate", "--hours", 5000)
    assert result.exit_code == 0, result.output
    assert "Erlang C" in result.stdout and "0.5333" in result.stdout  # Wq = C = 8/15 for the default queue


@pytest.mark.parametrize("args, message", [
    (("simulate", "--on-site", "weibull:1"), "DISTRIBUTION"),
    (("simulate", "--on-site", "lognormal:-1"), "greater than 0"),
    (("simulate", "--yellow-share", 0.6, "--red-share", 0.5), "> 1"),
    (("simulate", "--shift", "morning"), "--shift"),
    (("simulate", "--profile", "1,2,3"), "24 weights"),
    (("simulate", "--chart", "out.pdf"), ".png or .svg"),
    (("plan", "--vary", "bays"), "--vary"),
    (("validate", "--arrival-rate", 3), "unstable"),
])
def test_cli_rejects_bad_input_with_a_message(args, message):
    result = _invoke(*args)
    assert result.exit_code == 2 and message in result.stderr


def test_cli_help_reads_like_a_manual():
    for command, words in (("simulate", ("--arrivals-per-hour", "--shift", "--chart", "DISTRIBUTION")),
                           ("plan", ("--target", "--vary", "remote-share", "--runs")),
                           ("validate", ("Erlang C", "--service-rate"))):
        text = _invoke(command, "--help").stdout
        assert all(word in text for word in words), command
