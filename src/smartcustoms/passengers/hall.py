"""Arrival-hall planning: a SimPy model of one flight from on-block to the last passenger out.

The flow of each passenger: deplaning (a steady rate from on-block), the walk to the baggage hall (immigration
included), the wait for the last of its checked bags, then the customs exit: an exit lane (a document check, one
officer per lane) or, when selected, an inspection by an officer. Times are minutes from on-block.

- **With pre-screening**, every checked bag passes an in-line X-ray between unloading and the belt (``bag_scanners``
  machines, ``inline_scan_s`` per bag, its image analysed before the passenger reaches the hall); passengers are
  selected before they land (rules, watchlist) or by their flagged bag, and their inspection is targeted
  (``targeted_inspection_min``).
- **Without**, bags go straight to the belt; the exit team screens a share of the passengers' bags on hall X-ray
  machines (``hall_scan_share``, ``hall_scan_s`` per bag, ``hall_scanners`` machines) and searches those whose bags
  look suspect (``hall_flag_rate``), plus those selected beforehand, with a full search (``inspection_min``).

Measured, for each replication: the time from taking one's bags (arriving in the hall, for those without bags) to
leaving the hall, for every passenger; the time the flight is cleared (last passenger out); the time the last bag
is screened (pre-screening). Over replications: means and 95% confidence intervals (Student t).
"""

import math
import statistics
from dataclasses import asdict, dataclass, replace

import numpy as np
import simpy
from scipy import stats


@dataclass(frozen=True)
class Hall:
    """The stated assumptions (the defaults: a 300-passenger wide-body at a mid-size terminal)."""

    passengers: int = 300
    deplane_per_min: float = 25.0
    walk_min: tuple[float, float] = (4.0, 12.0)  # uniform: walk and immigration
    bag_share: float = 0.8  # passengers with checked bags
    bags_mean: float = 1.3  # bags per passenger who has some (1 + Poisson(0.3))
    unload_window_min: tuple[float, float] = (5.0, 18.0)  # bags come off the aircraft uniformly in this window
    belt_min: float = 2.0  # from the unloading (or the in-line scanner) to the belt
    lane_check_s: float = 12.0  # exponential mean, at an exit lane
    selection_rate: float = 0.03  # selected before landing (rules, watchlist, flagged bags)
    inspection_min: float = 6.0  # a full search (lognormal mean, cv 0.5)
    targeted_inspection_min: float = 3.0  # an inspection already knowing which bag and what (pre-screened)
    prescreening: bool = True
    bag_scanners: int = 2  # in-line, with pre-screening
    inline_scan_s: float = 5.0  # per bag, in line
    hall_scanners: int = 1  # without pre-screening
    hall_scan_share: float = 0.15
    hall_scan_s: float = 40.0  # per bag, loaded and unloaded by the passenger
    hall_flag_rate: float = 0.2  # of the hall-scanned, searched
    officers: int = 2  # inspecting officers
    lanes: int = 2  # exit lanes (one officer each)


@dataclass
class Run:
    claim_to_exit: np.ndarray  # minutes, one per passenger
    cleared: float
    bags_screened: float | None
    inspected: int


def simulate(hall: Hall, seed: int = 1) -> Run:
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    lanes = simpy.Resource(env, hall.lanes)
    officers = simpy.Resource(env, hall.officers)
    hall_scanners = simpy.Resource(env, max(hall.hall_scanners, 1))
    inline = simpy.Resource(env, max(hall.bag_scanners, 1))
    n = hall.passengers
    has_bags = rng.random(n) < hall.bag_share
    counts = np.where(has_bags, 1 + rng.poisson(max(hall.bags_mean - 1, 0), n), 0)
    selected = rng.random(n) < hall.selection_rate
    bag_ready = [[] for _ in range(n)]
    times = np.zeros(n)
    exits = np.zeros(n)
    last_screened = [0.0]
    inspected = [0]

    def lognormal(mean: float) -> float:
        sigma = math.sqrt(math.log(1 + 0.5 ** 2))
        return float(rng.lognormal(math.log(mean) - sigma ** 2 / 2, sigma))

    def bag(owner: int, done: simpy.Event):
        yield env.timeout(rng.uniform(*hall.unload_window_min))
        if hall.prescreening:
            with inline.request() as request:
                yield request
                yield env.timeout(hall.inline_scan_s / 60)
            last_screened[0] = max(last_screened[0], env.now)
        yield env.timeout(hall.belt_min)
        done.succeed(env.now)

    def passenger(i: int):
        yield env.timeout(i / hall.deplane_per_min + rng.uniform(*hall.walk_min))
        if bag_ready[i]:
            yield simpy.AllOf(env, bag_ready[i])
        claim = env.now
        search = selected[i]
        if not hall.prescreening and counts[i] and not search and rng.random() < hall.hall_scan_share:
            with hall_scanners.request() as request:
                yield request
                yield env.timeout(counts[i] * hall.hall_scan_s / 60)
            search = rng.random() < hall.hall_flag_rate
        if search:
            inspected[0] += 1
            with officers.request() as request:
                yield request
                yield env.timeout(lognormal(hall.targeted_inspection_min if hall.prescreening
                                            else hall.inspection_min))
        else:
            with lanes.request() as request:
                yield request
                yield env.timeout(rng.exponential(hall.lane_check_s / 60))
        times[i] = env.now - claim
        exits[i] = env.now

    for i in range(n):
        for _ in range(counts[i]):
            done = env.event()
            bag_ready[i].append(done)
            env.process(bag(i, done))
        env.process(passenger(i))
    env.run()
    return Run(times, float(exits.max()) if n else 0.0, last_screened[0] if hall.prescreening else None,
               inspected[0])


def _interval(values: list[float], low: float = -math.inf, high: float = math.inf) -> dict:
    """Mean and 95% Student-t confidence interval (clipped to what the quantity can be)."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return {"mean": round(mean, 3), "ci95": [round(mean, 3), round(mean, 3)]}
    half = float(stats.t.ppf(0.975, len(values) - 1)) * statistics.stdev(values) / math.sqrt(len(values))
    return {"mean": round(mean, 3), "ci95": [round(max(mean - half, low), 3), round(min(mean + half, high), 3)]}


def replicate(hall: Hall, replications: int = 20, seed: int = 1, within_min: float = 5.0) -> dict:
    runs = [simulate(hall, seed + r) for r in range(replications)]
    pooled = np.concatenate([run.claim_to_exit for run in runs])
    out = {
        "flight_cleared_minutes": _interval([run.cleared for run in runs]),
        "share_out_within_5_min": _interval([float((run.claim_to_exit <= within_min).mean()) for run in runs],
                                            0.0, 1.0),
        "claim_to_exit_minutes": {
            "mean": round(float(pooled.mean()), 3),
            **{f"p{q}": round(float(np.percentile(pooled, q)), 3) for q in (50, 90, 98, 99)},
        },
        "inspected_per_flight": round(statistics.fmean(run.inspected for run in runs), 2),
        "replications": replications,
    }
    screened = [run.bags_screened for run in runs if run.bags_screened is not None]
    out["bags_screened_minutes"] = _interval(screened) if screened else None
    return out


def histogram(hall: Hall, replications: int = 20, seed: int = 1, width: float = 0.5) -> dict:
    """The pooled distribution of claim-to-exit minutes, in bins of ``width`` (for the planning page's chart)."""
    pooled = np.concatenate([simulate(hall, seed + r).claim_to_exit for r in range(replications)])
    top = max(float(pooled.max()), width)
    edges = np.arange(0, top + width, width)
    counts, edges = np.histogram(pooled, bins=edges)
    return {"edges": [round(float(e), 3) for e in edges], "shares": [round(float(c) / len(pooled), 5)
                                                                    for c in counts]}


def meets(result: dict, share: float = 0.98, cleared_min: float = 30.0) -> bool:
    return (result["share_out_within_5_min"]["mean"] >= share
            and result["flight_cleared_minutes"]["mean"] <= cleared_min)


def staff_search(hall: Hall, replications: int = 10, seed: int = 1, share: float = 0.98, cleared_min: float = 30.0,
                 max_staff: int = 16) -> dict:
    """The fewest officers in the hall meeting both targets: inspecting officers + exit lanes (one officer each)
    + hall X-ray machines without pre-screening (one officer each; in-line scanners are read remotely and not
    counted). Smallest total first; each option is tried on 3 replications, then confirmed on ``replications``."""
    tried = 0
    for total in range(2, max_staff + 1):
        options = []
        scanners = [0] if hall.prescreening else [1, 2, 3]
        for machines in scanners:
            for officers in range(1, total - machines):
                options.append(replace(hall, officers=officers, lanes=total - machines - officers,
                                       hall_scanners=max(machines, 1)))
        best = None
        for option in options:
            tried += 1
            quick = replicate(option, 3, seed + 1000)
            if not meets(quick, share - 0.02, cleared_min + 3):
                continue
            result = replicate(option, replications, seed)
            if meets(result, share, cleared_min) and (
                    best is None or result["share_out_within_5_min"]["mean"]
                    > best[1]["share_out_within_5_min"]["mean"]):
                best = (option, result)
        if best is not None:
            option, result = best
            return {"officers": option.officers, "lanes": option.lanes,
                    "hall_scanners": 0 if option.prescreening else option.hall_scanners, "staff": total,
                    "configurations_tried": tried, "result": result}
    return {"officers": None, "lanes": None, "hall_scanners": None, "staff": None, "configurations_tried": tried,
            "result": None}


def plan(hall: Hall, replications: int = 10, seed: int = 1) -> dict:
    """The staffing found with pre-screening for both targets; without it, whether the share target can be met at
    all, the staffing that clears the flight in 30 minutes, and the same staffing run without pre-screening."""
    with_ = staff_search(replace(hall, prescreening=True), replications, seed)
    result = with_["result"] or replicate(replace(hall, prescreening=True), replications, seed)
    without_share = staff_search(replace(hall, prescreening=False), replications, seed, max_staff=12)
    without_cleared = (without_share if without_share["staff"] else
                       staff_search(replace(hall, prescreening=False), replications, seed, share=0.0, max_staff=12))
    same_staff = None
    if with_["staff"]:  # the staffing found for pre-screening, one lane officer moved to a hall X-ray machine
        same_staff = replicate(replace(hall, prescreening=False, officers=with_["officers"],
                                       lanes=max(with_["lanes"] - 1, 1), hall_scanners=1), replications, seed)
    reduction = None
    if same_staff:
        reduction = {
            "claim_to_exit_mean": round(1 - result["claim_to_exit_minutes"]["mean"]
                                        / same_staff["claim_to_exit_minutes"]["mean"], 3),
            "flight_cleared": round(1 - result["flight_cleared_minutes"]["mean"]
                                    / same_staff["flight_cleared_minutes"]["mean"], 3),
            "passengers_searched": round(1 - result["inspected_per_flight"]
                                         / max(same_staff["inspected_per_flight"], 1e-9), 3),
        }
    return {
        "flight_cleared_minutes": result["flight_cleared_minutes"],
        "share_out_within_5_min": result["share_out_within_5_min"],
        "bags_screened_minutes": result["bags_screened_minutes"],
        "claim_to_exit_minutes": result["claim_to_exit_minutes"],
        "staffing": {"officers": with_["officers"], "lanes": with_["lanes"], "staff": with_["staff"],
                     "bag_scanners": hall.bag_scanners, "selection_rate": hall.selection_rate,
                     "meets_targets": with_["staff"] is not None},
        "without_prescreening": {
            "meets_both_targets_up_to_12_staff": without_share["staff"] is not None,
            "staffing_for_cleared_in_30_min": {key: without_cleared[key] for key in
                                               ("officers", "lanes", "hall_scanners", "staff")},
            "result_at_that_staffing": without_cleared["result"],
            "same_staff_as_prescreening": same_staff,
        },
        "reduction_with_prescreening": reduction,
        "assumptions": asdict(hall),
        "replications": replications,
    }


# ----------------------------------------------------------------------------------------------------------------
# the exit stage alone, as an M/M/c queue: what the tests check against Erlang C and Little's law
# ----------------------------------------------------------------------------------------------------------------


def mmc_run(arrival_rate: float, service_mean: float, servers: int, customers: int, seed: int = 1) -> dict:
    """Poisson arrivals to ``servers`` servers with exponential service (the lanes' code path): mean wait, mean
    time in system, time-average number in system, and the arrival rate observed."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    resource = simpy.Resource(env, servers)
    waits, sojourns = [], []
    area = [0.0, 0.0, 0]  # integral of N(t), last change, N

    def change(delta: int) -> None:
        area[0] += area[2] * (env.now - area[1])
        area[1] = env.now
        area[2] += delta

    def customer():
        arrived = env.now
        change(+1)
        with resource.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.exponential(service_mean))
        sojourns.append(env.now - arrived)
        change(-1)

    def source():
        for _ in range(customers):
            env.process(customer())
            yield env.timeout(rng.exponential(1 / arrival_rate))

    env.process(source())
    env.run()
    return {"mean_wait": float(np.mean(waits)), "mean_sojourn": float(np.mean(sojourns)),
            "mean_in_system": area[0] / env.now, "arrival_rate": customers / env.now}
