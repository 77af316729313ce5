"""Capacity planning for clearance: a discrete-event simulation (SimPy) of lanes, officers and inspection bays.

Declarations arrive at each office as a Poisson stream (constant rate or an hourly profile) and take a lane.
Green and blue are released at once (after an optional automatic delay). Yellow waits for an officer
(documentary check); red waits for an officer too, and on site also for a bay (remote inspections need none).
Officers serve first come, first served during their shift; one who starts a control before the end of the
shift finishes it. Times are hours from midnight of day one. The same seed gives the same results, and two
configurations that differ only in officers, bays or remote share see the same declarations and durations.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import simpy
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANES = ("green", "yellow", "red", "blue")
# relative arrivals per hour of the day (hour 0 = 00:00-01:00); each office scales its profile to its mean
ARRIVAL_PROFILES = {
    "flat": (1.0,) * 24,
    "daytime": (0.2,) * 6 + (0.5, 1.0) + (2.0,) * 4 + (1.5,) + (2.0,) * 4 + (1.5, 1.0, 0.6) + (0.3,) * 4,
}
DEFAULT_HOURS = 28 * 24
DEFAULT_WARMUP = 2 * 24
STALL_GAIN = 0.005  # the officer search gives up after three more officers in a row add less than this share


class ServiceTime(BaseModel):
    """How long one control takes, in hours: exponential, lognormal (mean and coefficient of variation) or fixed."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    distribution: Literal["exponential", "lognormal", "fixed"] = "exponential"
    mean_hours: float = Field(gt=0)
    cv: float = Field(default=1.0, ge=0)  # lognormal only: standard deviation / mean

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.distribution == "exponential":
            return rng.exponential(self.mean_hours, size)
        if self.distribution == "fixed":
            return np.full(size, self.mean_hours)
        sigma2 = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mean_hours) - sigma2 / 2, math.sqrt(sigma2), size)

    def describe(self) -> str:
        tail = f", cv {self.cv:g}" if self.distribution == "lognormal" else ""
        return f"{self.distribution} mean {self.mean_hours:g} h{tail}"


def exponential(mean_hours: float) -> ServiceTime:
    return ServiceTime(distribution="exponential", mean_hours=mean_hours)


def lognormal(mean_hours: float, cv: float) -> ServiceTime:
    return ServiceTime(distribution="lognormal", mean_hours=mean_hours, cv=cv)


def fixed(mean_hours: float) -> ServiceTime:
    return ServiceTime(distribution="fixed", mean_hours=mean_hours)


class Office(BaseModel):
    """One customs office: its arrivals, its officers on duty and its inspection bays."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = "office"
    arrivals_per_hour: float | tuple[float, ...]  # constant, or 24 rates (hour 0 = 00:00-01:00)
    officers: int = Field(ge=1)  # on duty at the same time during the shift
    slots: int | None = Field(default=None, ge=1)  # bays for on-site inspections; None: no limit
    shift: tuple[float, float] = (0.0, 24.0)  # officers work from..to each day; (0, 24): around the clock;
    # start > end: a night shift across midnight, e.g. (19, 7)

    @field_validator("arrivals_per_hour")
    @classmethod
    def _arrivals(cls, value):
        rates = (value,) if isinstance(value, int | float) else value
        if not isinstance(value, int | float) and len(rates) != 24:
            raise ValueError(f"an hourly arrival profile needs 24 values, got {len(rates)}")
        if any(not math.isfinite(r) or r < 0 for r in rates):
            raise ValueError(f"arrivals per hour must be finite and >= 0, got {value}")
        return value

    @field_validator("shift")
    @classmethod
    def _shift(cls, value):
        if not (0 <= value[0] <= 24 and 0 <= value[1] <= 24 and value[0] != value[1]):
            raise ValueError(f"shift must be (start, end) hours of the day, start != end, got {value}")
        return value

    def hourly_rates(self) -> np.ndarray:
        return np.resize(np.asarray(self.arrivals_per_hour, dtype=float), 24)

    @property
    def shift_spans(self) -> list[tuple[float, float]]:
        """The shift as spans within one day: one, or two for a night shift."""
        start, end = self.shift
        return [(start, end)] if start < end else [(0.0, end), (start, 24.0)]

    @property
    def open_hours_per_day(self) -> float:
        return sum(end - start for start, end in self.shift_spans)


class CapacityConfig(BaseModel):
    """The clearance process to simulate: offices, lane shares, remote share and control durations."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    offices: tuple[Office, ...] = Field(min_length=1)
    lane_shares: dict[str, float] = Field(default_factory=lambda: {"green": 0.80, "yellow": 0.10, "red": 0.05,
                                                                   "blue": 0.05})
    remote_share: float = Field(default=0.0, ge=0, le=1)  # of red-lane inspections, done remotely (no bay)
    documentary: ServiceTime = lognormal(0.2, 1.0)  # yellow lane
    on_site: ServiceTime = lognormal(1.0, 0.5)  # red lane, physical inspection in a bay
    remote: ServiceTime = lognormal(0.4, 0.5)  # red lane, remote inspection (video, photos)
    auto_release_hours: float = Field(default=0.0, ge=0)  # green and blue: automatic processing

    @field_validator("lane_shares")
    @classmethod
    def _lanes(cls, value):
        unknown = set(value) - set(LANES)
        if unknown:
            raise ValueError(f"unknown lane(s) {sorted(unknown)}; lanes are {', '.join(LANES)}")
        if any(not math.isfinite(s) or s < 0 for s in value.values()):
            raise ValueError(f"lane shares must be >= 0, got {value}")
        if not math.isclose(sum(value.values()), 1.0, abs_tol=1e-6):
            raise ValueError(f"lane shares must sum to 1, got {sum(value.values()):.6g} ({value})")
        return {lane: float(value.get(lane, 0.0)) for lane in LANES}

    @model_validator(mode="after")
    def _names(self):
        names = [o.name for o in self.offices]
        if len(set(names)) != len(names):
            raise ValueError(f"office names must be unique, got {names}")
        return self

    @classmethod
    def one_office(cls, arrivals_per_hour, officers: int, slots: int | None = None,
                   shift: tuple[float, float] = (0.0, 24.0), **rest) -> "CapacityConfig":
        return cls(offices=(Office(arrivals_per_hour=arrivals_per_hour, officers=officers, slots=slots,
                                   shift=shift),), **rest)

    def with_officers(self, officers: int, office: str | None = None) -> "CapacityConfig":
        """The same process with `officers` on duty at `office` (None: at every office)."""
        if officers < 1:
            raise ValueError(f"officers must be >= 1, got {officers}")
        offices = tuple(o.model_copy(update={"officers": officers}) if office in (None, o.name) else o
                        for o in self.offices)
        return self.model_copy(update={"offices": offices})


def offered_load(config: CapacityConfig) -> pd.DataFrame:
    """Per office: the mean number of officers (and bays) kept busy during the shift by the day's work.

    At or above the officers (bays) on duty the queue grows without bound.
    """
    shares = config.lane_shares
    remote = config.remote_share
    rows = []
    for office in config.offices:
        daily = office.hourly_rates().sum()
        on_site = daily * shares["red"] * (1 - remote) * config.on_site.mean_hours
        work = (daily * shares["yellow"] * config.documentary.mean_hours + on_site
                + daily * shares["red"] * remote * config.remote.mean_hours)
        rows.append({"office": office.name, "declarations_per_day": daily,
                     "officer_load": work / office.open_hours_per_day, "officers": office.officers,
                     "slot_load": on_site / office.open_hours_per_day, "slots": office.slots})
    return pd.DataFrame(rows)


def _next_open(t: float, spans: list[tuple[float, float]]) -> float:
    """The first moment at or after t when officers are on duty."""
    day, hour = t - t % 24, t % 24
    if any(start <= hour < end for start, end in spans):
        return t
    later = [start for start, _ in spans if start > hour]
    return day + later[0] if later else day + 24 + spans[0][0]


def _open_hours(spans: list[tuple[float, float]], t0: float, t1: float) -> float:
    """Hours on duty between t0 and t1."""
    days = np.arange(math.floor(t0 / 24), math.ceil(t1 / 24) + 1) * 24.0
    return float(sum(np.clip(np.minimum(days + end, t1) - np.maximum(days + start, t0), 0, None).sum()
                     for start, end in spans))


def _busy(start: np.ndarray, end: np.ndarray, t0: float, t1: float) -> float:
    return float(np.clip(np.minimum(end, t1) - np.maximum(start, t0), 0, None).sum())


def _simulate_office(config: CapacityConfig, office: Office, hours: float, rng: np.random.Generator):
    """Draw the office's declarations, run its queue; returns the declarations frame."""
    counts = rng.poisson(np.resize(office.hourly_rates(), math.ceil(hours)))
    arrival = np.sort(np.repeat(np.arange(len(counts)), counts) + rng.random(int(counts.sum())))
    n = len(arrival)
    lane = np.searchsorted(np.cumsum([config.lane_shares[x] for x in LANES]), rng.random(n), side="right")
    lane = np.minimum(lane, len(LANES) - 1)  # rounding of the cumulative shares
    remote_draw = rng.random(n)
    durations = {kind: getattr(config, kind).sample(rng, n) for kind in ("documentary", "on_site", "remote")}
    keep = arrival < hours
    arrival, lane, remote_draw = arrival[keep], lane[keep], remote_draw[keep]
    names = np.array(LANES)[lane]
    mode = np.full(len(arrival), "automatic", dtype=object)
    mode[names == "yellow"] = "documentary"
    mode[names == "red"] = np.where(remote_draw[names == "red"] < config.remote_share, "remote", "on_site")
    duration = np.zeros(len(arrival))
    for kind in ("documentary", "on_site", "remote"):
        duration[mode == kind] = durations[kind][keep][mode == kind]

    start = arrival + np.where(mode == "automatic", 0.0, np.nan)
    release = arrival + np.where(mode == "automatic", config.auto_release_hours, np.nan)
    spans = office.shift_spans
    env = simpy.Environment()
    officers = simpy.Resource(env, capacity=office.officers)
    bays = simpy.Resource(env, capacity=office.slots) if office.slots else None

    def control(i: int, needs_bay: bool):
        bay = bays.request() if needs_bay else None
        if bay is not None:
            yield bay
        with officers.request() as officer:
            yield officer
            opens = _next_open(env.now, spans)
            if opens > env.now:  # an officer is free but off duty: the control starts with the next shift
                yield env.timeout(opens - env.now)
            start[i] = env.now
            yield env.timeout(duration[i])
        if bay is not None:
            bays.release(bay)
        release[i] = env.now

    def source():
        for i in np.flatnonzero(mode != "automatic"):
            yield env.timeout(arrival[i] - env.now)
            env.process(control(i, bays is not None and mode[i] == "on_site"))

    env.process(source())
    env.run()
    return pd.DataFrame({"office": office.name, "lane": names, "mode": mode.astype(str), "arrival": arrival,
                         "start": start, "release": release, "service_hours": duration})


@dataclass(frozen=True)
class SimulationResult:
    """Declarations that arrived after the warm-up, with their release times, and resource utilisation."""

    declarations: pd.DataFrame  # office, lane, mode, arrival, start, release, wait, release_time_hours
    utilisation: pd.DataFrame  # office, resource, capacity, busy_hours, open_hours, utilisation
    hours: float
    warmup_hours: float
    seed: int

    def select(self, lane: str | None = None, mode: str | None = None, office: str | None = None) -> pd.DataFrame:
        """The declarations of a lane, mode and office (None: all)."""
        frame = self.declarations
        for column, value in (("lane", lane), ("mode", mode), ("office", office)):
            if value is not None:
                frame = frame[frame[column] == value]
        return frame

    def share_within(self, within_hours: float, lane: str | None = "red", mode: str | None = None,
                     office: str | None = None) -> float:
        """Share of the declarations (of a lane, mode, office) released within `within_hours` of arrival."""
        frame = self.select(lane, mode, office)
        return float((frame["release_time_hours"] <= within_hours).mean()) if len(frame) else math.nan

    def release_times(self, within_hours: float = 12.0) -> pd.DataFrame:
        """Release time in hours (mean, median, p90) and share within `within_hours`, by lane and mode."""
        frame = self.declarations
        groups = [((lane, mode), part) for (lane, mode), part in frame.groupby(["lane", "mode"], sort=False)]
        for lane, part in frame.groupby("lane", sort=False):
            if part["mode"].nunique() > 1:
                groups.append(((lane, "all"), part))
        order = {lane: i for i, lane in enumerate(LANES)}
        groups.sort(key=lambda g: (order[g[0][0]], g[0][1] == "all", g[0][1]))
        rows = []
        for (lane, mode), part in groups:
            times = part["release_time_hours"]
            rows.append({"lane": lane, "mode": mode, "declarations": len(part), "mean_wait": part["wait"].mean(),
                         "mean": times.mean(), "median": times.median(), "p90": times.quantile(0.9),
                         "share_within": float((times <= within_hours).mean())})
        return pd.DataFrame(rows)

    def to_json(self, within_hours: float = 12.0) -> dict:
        return {"hours": self.hours, "warmup_hours": self.warmup_hours, "seed": self.seed,
                "within_hours": within_hours,
                "release_times": self.release_times(within_hours).to_dict(orient="records"),
                "utilisation": self.utilisation.to_dict(orient="records")}


def simulate(config: CapacityConfig, hours: float = DEFAULT_HOURS, seed: int = 1,
             warmup_hours: float = DEFAULT_WARMUP) -> SimulationResult:
    """Run the clearance process for `hours` of arrivals, then until every declaration is released.

    Declarations that arrive in the first `warmup_hours` (while the queues fill up) are left out of the
    results; utilisation is measured from the warm-up to `hours`, against the officers' (bays') shift hours.
    """
    if not (math.isfinite(hours) and 0 <= warmup_hours < hours):
        raise ValueError(f"need 0 <= warmup_hours < hours, got warmup {warmup_hours} and hours {hours}")
    rng = np.random.default_rng(seed)
    frames, usage = [], []
    for office in config.offices:
        frame = _simulate_office(config, office, hours, rng)
        open_hours = _open_hours(office.shift_spans, warmup_hours, hours)
        controlled = frame["mode"] != "automatic"
        bays = frame["mode"] == "on_site"
        for resource, capacity, mask in (("officers", office.officers, controlled), ("slots", office.slots, bays)):
            if capacity is None:
                continue
            busy = _busy(frame["start"][mask].to_numpy(), frame["release"][mask].to_numpy(), warmup_hours, hours)
            usage.append({"office": office.name, "resource": resource, "capacity": capacity, "busy_hours": busy,
                          "open_hours": capacity * open_hours, "utilisation": busy / (capacity * open_hours)})
        frames.append(frame[frame["arrival"] >= warmup_hours])
    declarations = pd.concat(frames, ignore_index=True)
    declarations["wait"] = declarations["start"] - declarations["arrival"]
    declarations["release_time_hours"] = declarations["release"] - declarations["arrival"]
    return SimulationResult(declarations=declarations, utilisation=pd.DataFrame(usage), hours=hours,
                            warmup_hours=warmup_hours, seed=seed)


@dataclass(frozen=True)
class CapacityPlan:
    """The values tried by a search and its answer (None: the target is out of reach on the values tried)."""

    variable: Literal["officers", "remote_share"]
    target_share: float
    within_hours: float
    lane: str
    tried: pd.DataFrame  # value, share_within, worst_run, median, p90, officer/slot utilisation, meets
    answer: float | None
    note: str = ""  # why the search stopped without an answer

    def to_json(self) -> dict:
        return {"variable": self.variable, "target_share": self.target_share, "within_hours": self.within_hours,
                "lane": self.lane, "answer": self.answer, "note": self.note,
                "tried": self.tried.to_dict(orient="records")}


class _Trials:
    """Simulates one candidate configuration on the same seeds and scores it against the target."""

    def __init__(self, config, target_share, within_hours, lane, office, hours, seed, warmup_hours, runs, on_try):
        if not 0 < target_share <= 1:
            raise ValueError(f"target share must be in (0, 1], got {target_share}")
        if lane not in LANES:
            raise ValueError(f"unknown lane {lane!r}; lanes are {', '.join(LANES)}")
        if config.lane_shares.get(lane, 0) == 0:
            raise ValueError(f"no declarations go to the {lane} lane (its share is 0): nothing to plan")
        if office is not None and office not in {o.name for o in config.offices}:
            raise ValueError(f"unknown office {office!r}")
        if runs < 1:
            raise ValueError(f"runs must be >= 1, got {runs}")
        self.target_share, self.within_hours, self.lane, self.office = target_share, within_hours, lane, office
        self.run = {"hours": hours, "warmup_hours": warmup_hours}
        self.seeds = range(seed, seed + runs)
        self.on_try = on_try

    def __call__(self, config: CapacityConfig, value) -> dict:
        results = [simulate(config, seed=s, **self.run) for s in self.seeds]
        parts = [r.select(lane=self.lane, office=self.office)["release_time_hours"] for r in results]
        times = pd.concat(parts)
        share = float((times <= self.within_hours).mean()) if len(times) else math.nan
        usage = pd.concat([r.utilisation for r in results])
        if self.office:
            usage = usage[usage["office"] == self.office]
        util = usage.groupby("resource")["utilisation"].mean()
        row = {"value": value, "share_within": share,
               "worst_run": min(float((p <= self.within_hours).mean()) if len(p) else math.nan for p in parts),
               "median": times.median(), "p90": times.quantile(0.9),
               "officer_utilisation": util.get("officers", math.nan),
               "slot_utilisation": util.get("slots", math.nan), "meets": bool(share >= self.target_share)}
        if self.on_try is not None:
            self.on_try(row)
        return row


def officers_needed(config: CapacityConfig, target_share: float = 0.9, within_hours: float = 12.0,
                    lane: str = "red", office: str | None = None, max_officers: int = 50,
                    hours: float = DEFAULT_HOURS, seed: int = 1, warmup_hours: float = DEFAULT_WARMUP,
                    runs: int = 1, on_try: Callable[[dict], None] | None = None) -> CapacityPlan:
    """Smallest number of officers on duty (at `office`, or at every office) that releases `target_share` of
    the lane's declarations within `within_hours`, found by simulation on the same seeds for every count
    (`runs` runs from `seed` on, their declarations pooled).

    Starts at the smallest stable count, goes down while the target is still met and up until it is met;
    the tried counts come back with the answer, so one officer less is shown failing. Stops without an answer
    at `max_officers`, or when three more officers in a row add less than half a point (another limit binds:
    bays, or declarations waiting overnight for the shift).
    """
    trial = _Trials(config, target_share, within_hours, lane, office, hours, seed, warmup_hours, runs, on_try)
    if len(config.offices) > 1 and office is None:
        raise ValueError("several offices: name the office to plan (they share no officers)")
    load = offered_load(config)
    load = load if office is None else load[load["office"] == office]
    count = max(1, min(max_officers, math.floor(load["officer_load"].max()) + 1))
    rows = {count: trial(config.with_officers(count, office), count)}
    answer, note = None, ""
    if rows[count]["meets"]:
        while count > 1:
            rows[count - 1] = trial(config.with_officers(count - 1, office), count - 1)
            if not rows[count - 1]["meets"]:
                break
            count -= 1
        answer = count
    else:
        stalled = 0
        while count < max_officers and answer is None and stalled < 3:
            count += 1
            rows[count] = trial(config.with_officers(count, office), count)
            gain = rows[count]["share_within"] - rows[count - 1]["share_within"]
            stalled = stalled + 1 if gain < STALL_GAIN else 0
            answer = count if rows[count]["meets"] else None
        if answer is None and stalled < 3:
            note = f"no count up to {max_officers} officers meets the target"
        elif answer is None:
            bays = load[load["slots"].notna() & (load["slot_load"] >= load["slots"].fillna(0) * 0.9)]
            why = (f"the bays (on-site load {bays['slot_load'].max():.2f} for {int(bays['slots'].max())} bays)"
                   if len(bays) else "the hours outside the shift or the length of the controls themselves")
            note = f"officers stopped helping after {count - 3}: {why} limit the release times"
    tried = pd.DataFrame([rows[n] for n in sorted(rows)])
    return CapacityPlan("officers", target_share, within_hours, lane, tried, answer, note)


def remote_share_needed(config: CapacityConfig, target_share: float = 0.9, within_hours: float = 12.0,
                        lane: str = "red", step: float = 0.05, office: str | None = None,
                        hours: float = DEFAULT_HOURS, seed: int = 1, warmup_hours: float = DEFAULT_WARMUP,
                        runs: int = 1, on_try: Callable[[dict], None] | None = None) -> CapacityPlan:
    """Smallest remote share of red-lane inspections, on a grid of `step` from 0 to 1, that releases
    `target_share` of the lane's declarations within `within_hours`. Every share runs on the same seeds, so a
    larger share turns more of the same inspections remote."""
    trial = _Trials(config, target_share, within_hours, lane, office, hours, seed, warmup_hours, runs, on_try)
    if not 0 < step <= 1:
        raise ValueError(f"step must be in (0, 1], got {step}")
    rows, answer = [], None
    for share in remote_share_grid(step):
        rows.append(trial(config.model_copy(update={"remote_share": share}), share))
        if rows[-1]["meets"]:
            answer = share
            break
    note = "" if answer is not None else "no remote share meets the target: officers or shift hours bind"
    return CapacityPlan("remote_share", target_share, within_hours, lane, pd.DataFrame(rows), answer, note)


def remote_share_grid(step: float) -> list[float]:
    """0, step, 2 step, ... up to and including 1."""
    return sorted({round(min(1.0, k * step), 10) for k in range(math.ceil(1 / step - 1e-9) + 1)})


def check_against_mmc(arrival_rate: float, service_rate: float, servers: int, hours: float = 50_000,
                      seed: int = 1, warmup_hours: float = 200, t: float = 1.0, batches: int = 20) -> pd.DataFrame:
    """Simulate an M/M/c queue with this model (one lane, exponential controls, no bays, officers around the
    clock) and set each figure beside its Erlang C formula.

    The standard error comes from batch means: the run after the warm-up is cut into `batches` equal spans of
    time and the figure is computed in each; z = (simulated - formula) / standard error.
    """
    from smartcustoms.control import queueing

    exact = queueing.mmc(arrival_rate, service_rate, servers)
    config = CapacityConfig.one_office(arrival_rate, servers, lane_shares={"red": 1.0},
                                       on_site=exponential(1 / service_rate))
    result = simulate(config, hours=hours, seed=seed, warmup_hours=warmup_hours)
    frame = result.declarations
    edges = np.linspace(warmup_hours, hours, batches + 1)
    span = np.digitize(frame["arrival"], edges[1:-1])
    figures = {
        "utilisation": (exact.utilisation, None),
        "P(wait > 0)": (exact.p_wait, frame["wait"] > 1e-12),
        f"P(wait > {t:g} h)": (queueing.wait_exceeds(t, arrival_rate, service_rate, servers), frame["wait"] > t),
        "mean wait Wq (h)": (exact.mean_wait, frame["wait"]),
        "mean release time W (h)": (exact.mean_sojourn, frame["release_time_hours"]),
        f"P(release time > {t:g} h)": (queueing.sojourn_exceeds(t, arrival_rate, service_rate, servers),
                                       frame["release_time_hours"] > t),
    }
    rows = []
    for name, (formula, values) in figures.items():
        if values is None:  # utilisation: officer-hours busy within each span of time
            whole = result.utilisation["utilisation"].iloc[0]
            per_batch = np.array([_busy(frame["start"].to_numpy(), frame["release"].to_numpy(), a, b)
                                  / (servers * (b - a)) for a, b in zip(edges[:-1], edges[1:])])
        else:
            whole = float(values.mean())
            per_batch = values.astype(float).groupby(span).mean().to_numpy()
        error = per_batch.std(ddof=1) / math.sqrt(len(per_batch))
        rows.append({"figure": name, "formula": formula, "simulated": whole, "std_error": error,
                     "relative_error": (whole - formula) / formula, "z": (whole - formula) / error})
    return pd.DataFrame(rows)
