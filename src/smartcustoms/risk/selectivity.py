"""Selectivity: from risk signals to a lane per declaration, under each office's daily capacity, with a
stratified random control sample. The ladder, in order:

1. an active profile that forces red (``force: true`` or weight >= ``force_weight``) gives red, capacity or not;
2. the lane asked by active profiles and the lane of the combined screen score (thresholds) -> the stronger;
3. capacity per office, day and lane: the highest-ranked candidates keep their lane, the others move down
   (red -> yellow -> blue), and the explanation says so;
4. every ``max_hits_without_selection``-th profile hit left unselected is selected all the same;
5. a random control share of the declarations left green or blue goes to ``random_lane`` and is flagged
   random, so hit rates can be measured without bias. Each stratum (office and transport mode by default) has
   its rate (``random_rates``, else ``random_rate``); a declaration is drawn when a hash of its ID and the seed
   falls below that rate, so the same declaration gets the same draw alone or in any batch.
"""

import hashlib
import json
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from smartcustoms.frames import objects
from smartcustoms.risk.signals import LANES, SEVERITY
from smartcustoms.risk.valuation import finite

DOWNGRADE = {"red": "yellow", "yellow": "blue", "blue": "blue"}


class LaneCapacity(BaseModel):
    """Declarations per office and day a lane can take (None: no limit)."""

    model_config = ConfigDict(extra="forbid")

    red: int | None = Field(None, ge=0)
    yellow: int | None = Field(None, ge=0)
    blue: int | None = Field(None, ge=0)


class SelectivitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weights: dict[str, float] = Field(
        default_factory=lambda: {"valuation": 1.0, "classification": 0.9, "origin": 0.8, "trader": 0.4,
                                 "model": 1.0})
    combination: Literal["learned", "fixed"] = Field(
        "learned", description="learned: the combined score is a stacking of the screens, profile hits and model "
        "fitted on the outcomes known before the assessment (risk.combination), when enough exist; fixed: the "
        "noisy-or of `weights`")
    red_threshold: float = Field(0.85, ge=0, le=1)
    yellow_threshold: float = Field(0.6, ge=0, le=1)
    blue_threshold: float = Field(0.35, ge=0, le=1)
    expected_selection_rate: float | None = Field(None, gt=0, lt=1, description="if set, the yellow threshold "
                                                  "is calibrated on recent history to select this share (ASYCUDA)")
    force_weight: float = 100.0
    capacity: dict[str, LaneCapacity] = Field(default_factory=dict, description="by office ID")
    default_capacity: LaneCapacity = Field(default_factory=LaneCapacity)
    random_rate: float = Field(0.02, ge=0.01, le=0.05, description="control share of each stratum")
    random_rates: dict[str, float] = Field(default_factory=dict, description="stratum key -> its own rate")
    random_lane: str = "red"
    random_strata: list[str] = Field(default_factory=lambda: ["office_id", "transport_mode"],
                                     description="fields whose values, joined by '/', form the stratum key")
    max_hits_without_selection: int | None = Field(None, ge=1)
    seed: int = 0

    @field_validator("random_rates")
    @classmethod
    def _rates_in_range(cls, value: dict[str, float]) -> dict[str, float]:
        wrong = {key: rate for key, rate in value.items() if not 0.01 <= rate <= 0.05}
        if wrong:
            raise ValueError(f"random rates must lie between 0.01 and 0.05: {wrong}")
        return value

    @field_validator("random_lane")
    @classmethod
    def _control_lane(cls, value: str) -> str:
        if value not in ("yellow", "red"):
            raise ValueError("random_lane must be yellow or red")
        return value

    def version(self) -> str:
        """A short fingerprint, recorded with every decision."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]

    def capacity_of(self, office: str, lane: str) -> int | None:
        return getattr(self.capacity.get(office, self.default_capacity), lane)


def _floats(signals, column: str) -> np.ndarray:
    """A column of `signals` (a frame or a mapping of columns) as a float array."""
    return np.asarray(signals[column], dtype=float)


def _length(signals) -> int:
    """Declarations in `signals` (a frame, or a mapping of columns that holds declaration_id)."""
    return len(signals) if isinstance(signals, pd.DataFrame) else len(signals["declaration_id"])


def combined_score(signals, weights: dict[str, float]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Noisy-or of the weighted screen scores (a screen that could not run counts 0) and each screen's share.
    `signals`: a frame, or a mapping of columns (one array per column, as `select_columns` takes)."""
    parts = {name: np.clip(finite(_floats(signals, f"{name}_score")), 0, 1) * min(max(weight, 0), 1)
             for name, weight in weights.items() if f"{name}_score" in signals}
    score = np.zeros(_length(signals))
    if parts:
        score = 1 - np.prod([1 - part for part in parts.values()], axis=0)
    total = np.sum(list(parts.values()), axis=0) if parts else score
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = {name: np.where(total > 0, part / total, 0.0) for name, part in parts.items()}
    return score, shares


def uniform_draw(ids, seed: int) -> np.ndarray:
    """A reproducible uniform number per declaration ID: the same ID draws the same number, alone or in a
    batch, so a decision does not depend on what else was assessed with it."""
    values = ids.tolist() if len(ids) <= 64 else None
    if values is not None and all(type(value) is str for value in values):  # a few IDs: no pandas on the way
        text, missing = np.array(values, dtype=object), False
    else:
        text = pd.Series(ids, copy=False).astype(str).to_numpy()
        missing = bool(pd.isna(text).any())
    # categorising first (pandas' default) gives strings the same hashes and pays off on repeated values only, where
    # IDs are distinct (it cost 0.2 ms on one declaration); a missing ID (NaN) would hash apart: as it did
    hashed = pd.util.hash_array(text, hash_key=f"{seed:016d}"[:16], categorize=missing)
    return hashed / np.float64(2**64)


def _positions(keys: list[np.ndarray], rank: np.ndarray) -> np.ndarray:
    """Each row's place (0, 1, ...) within its group of equal keys, best rank first."""
    n = len(rank)
    order = np.lexsort([-rank, *keys[::-1]])
    first = np.ones(n, dtype=bool)
    if n > 1:
        same = np.ones(n - 1, dtype=bool)
        for key in keys:
            ordered = key[order]
            same &= ordered[1:] == ordered[:-1]
        first[1:] = ~same
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    positions = np.empty(n, dtype=np.int64)
    positions[order] = np.arange(n) - group_start
    return positions


def _apply_capacity(lane, note, coded, forced, rank, signals, settings: SelectivitySettings) -> None:
    """Keep the best-ranked candidates of each office, day and lane within capacity; move the rest down."""
    if not settings.capacity and all(getattr(settings.default_capacity, current) is None
                                     for current in ("red", "yellow", "blue")):
        return  # no limit anywhere
    office = np.asarray(signals["office_id"], dtype=object)
    day = _days(signals["acceptance_datetime"])
    office_code, offices = pd.factorize(office)
    day_code = day.astype("datetime64[D]").astype(np.int64)
    for current in ("red", "yellow", "blue"):
        limits = np.array([settings.capacity_of(o, current) for o in offices], dtype=float)  # None -> nan
        if np.isnan(limits).all():
            continue
        candidates = np.flatnonzero((lane == current) & ~forced)
        if not len(candidates):
            continue
        limit = np.nan_to_num(limits[office_code[candidates]], nan=np.inf)
        place = _positions([office_code[candidates], day_code[candidates]], rank[candidates])
        over = candidates[place >= limit]
        lane[over] = DOWNGRADE[current]
        note[over] = f"{current} capacity of the office for the day used up: moved to {DOWNGRADE[current]}"
        coded[over] = [{"code": "capacity.used_up", "params": {"lane": current, "moved_to": DOWNGRADE[current]}}
                       ] * len(over)


def _random_rate(signals, settings: SelectivitySettings) -> np.ndarray:
    """The control rate of each declaration's stratum (random_rates by stratum key, else random_rate)."""
    rate = np.full(_length(signals), settings.random_rate)
    fields = [name for name in settings.random_strata if name in signals]
    if settings.random_rates and fields:
        frame = signals if isinstance(signals, pd.DataFrame) else pd.DataFrame({f: signals[f] for f in fields})
        key = frame[fields].astype(str).agg("/".join, axis=1) if len(fields) > 1 else frame[fields[0]].astype(str)
        rate = key.map(settings.random_rates).fillna(settings.random_rate).to_numpy(dtype=float)
    return rate


def learned_shares(contributions: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Each part's share of a learned combination's decision: its positive contribution over the sum of the
    positive contributions (0 where none is positive)."""
    positive = {name: np.clip(value, 0, None) for name, value in contributions.items()}
    total = np.sum(list(positive.values()), axis=0) if positive else np.zeros(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {name: np.where(total > 0, part / total, 0.0) for name, part in positive.items()}


def select(signals: pd.DataFrame, settings: SelectivitySettings,
           combined: tuple[np.ndarray, dict[str, np.ndarray]] | None = None, method: str | None = None
           ) -> pd.DataFrame:
    """Lane per declaration. `signals` has one row per declaration with declaration_id, office_id,
    transport_mode, acceptance_datetime, the screens' `<name>_score` / `_duty_at_risk` columns and the profile
    columns of signals.profile_signals. `combined`: the score and the parts' contributions of a learned
    combination (`risk.combination`) and its `method` (column ``combination_method``); without it, the fixed
    weights' noisy-or. The signals' columns, then those of `select_columns`."""
    added = select_columns(signals, settings, combined, method)
    if not isinstance(signals.index, pd.RangeIndex) or signals.index.start != 0 or signals.index.step != 1:
        signals = signals.reset_index(drop=True)
    return pd.concat([signals, pd.DataFrame(added)], axis=1)


def select_columns(signals, settings: SelectivitySettings,
                   combined: tuple[np.ndarray, dict[str, np.ndarray]] | None = None, method: str | None = None,
                   index: pd.Index | None = None) -> dict:
    """`select`'s work on `signals` given as a frame or as a mapping of columns (arrays or Series of one row
    per declaration, as `risk.assess` gathers them for a declaration being lodged): the columns it adds (risk
    score, shares, contributions, duty at risk, lane, source, forced, capacity note and code, random), the
    same numbers either way; text columns as Series of Python objects on `index`."""
    n = _length(signals)
    added = {}
    if combined is None:
        score, shares = combined_score(signals, settings.weights)
    else:
        score, contributions = combined
        everything = learned_shares(contributions, n)
        shares = {name: share for name, share in everything.items() if f"{name}_score" in signals}
        added.update({f"contribution_{name}": value for name, value in contributions.items()})
        if method is not None:
            added["combination_method"] = objects(np.array([method] * n, dtype=object), index)
    added.update({"risk_score": score, **{f"{name}_share": share for name, share in shares.items()}})
    # expected duty at risk: each screen's estimate (if its doubt is right) times its score
    duty = np.zeros(n)
    screens = [name for name in settings.weights if f"{name}_score" in signals] if combined is None else \
        [c.removesuffix("_score") for c in signals if c.endswith("_score")
         and f"{c.removesuffix('_score')}_duty_at_risk" in signals]
    for name in screens:
        if f"{name}_duty_at_risk" in signals:
            duty += finite(_floats(signals, f"{name}_duty_at_risk")) * finite(_floats(signals, f"{name}_score"))
    added["duty_at_risk"] = duty

    yellow = settings.yellow_threshold
    score_lane = np.full(n, "green", dtype=object)  # the highest threshold reached (np.select's order)
    for name, threshold in (("blue", settings.blue_threshold), ("yellow", yellow), ("red", settings.red_threshold)):
        score_lane[score >= threshold] = name
    profile_lane = np.asarray(signals["profile_lane"], dtype=object)
    by_profile = _severity(profile_lane) >= _severity(score_lane)
    lane = np.where(by_profile, profile_lane, score_lane)
    source = np.where(by_profile, "profile", "screen").astype(object)
    if "model" in shares:  # the targeting model gave the largest share of the combined score
        largest = np.max([np.zeros(n), *[share for name, share in shares.items() if name != "model"]],
                         axis=0)
        source[(source == "screen") & (shares["model"] > largest)] = "model"
    weight = _floats(signals, "profile_weight")
    forced = np.asarray(signals["profile_force"], dtype=bool) | (
        _floats(signals, "profile_red_weight") >= settings.force_weight)
    lane[forced], source[forced] = "red", "profile"
    note = np.full(n, "", dtype=object)
    # within a lane, the stronger of the screens' score and the profiles' weight (0..100 -> 0..1) ranks first
    rank = _severity(lane) * 10 + np.maximum(score, weight / 100) if n else score
    coded = np.full(n, None, dtype=object)  # the capacity note as a code and its parameters
    _apply_capacity(lane, note, coded, forced, rank, signals, settings)

    if settings.max_hits_without_selection:
        key = np.asarray(signals["profile_key"], dtype=object)
        missed = (key != "") & np.isin(lane, ["green", "blue"])
        due = missed.copy()
        if missed.any():  # (none missed: nothing is due, and grouping costs a declaration being lodged 0.3 ms)
            count = pd.Series(missed).groupby(key).cumsum().to_numpy()
            due = missed & (count % (settings.max_hits_without_selection + 1) == 0)
        lane[due] = profile_lane[due]
        note[due] = (f"selected although over capacity: {settings.max_hits_without_selection} earlier hits went "
                     "unselected")
        coded[due] = [{"code": "capacity.selected_anyway", "params": {"hits": settings.max_hits_without_selection}}
                      ] * int(due.sum())

    chosen = np.isin(lane, ["green", "blue"]) & (
        uniform_draw(signals["declaration_id"], settings.seed) < _random_rate(signals, settings))
    lane[chosen], source[chosen], note[chosen], coded[chosen] = settings.random_lane, "random", "", None
    source[lane == "green"] = "none"
    added.update(lane=objects(lane, index), source=objects(source, index), forced=forced,
                 capacity_note=objects(note, index), capacity_code=objects(coded, index), random=chosen)
    return added


def _severity(lanes: np.ndarray) -> np.ndarray:
    """SEVERITY of each lane (int array)."""
    return np.fromiter((SEVERITY[lane] for lane in lanes.tolist()), dtype=int, count=len(lanes))


def _days(values) -> np.ndarray:
    """Acceptance moments (a Series, a datetime64 array or a pandas array) at midnight, as datetime64."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.astype("datetime64[D]").astype(values.dtype)
    return pd.Series(values, copy=False).dt.normalize().to_numpy()


def _hits(row: dict, key: str) -> list:
    value = row.get(key)
    return value if isinstance(value, list) else []


@lru_cache(maxsize=64)
def _screen_keys(name: str) -> tuple[str, ...]:
    """The keys of a screen's columns that an explanation reads."""
    return tuple(f"{name}_{key}" for key in ("score", "share", "duty_at_risk", "reason", "codes", "not_checked",
                                             "not_checked_codes"))


def explanation(row: dict, screens: list[str], parts: list[str] | None = None) -> str:
    """The decision's explanation as JSON: profiles with what matched, each score and its share, the random
    flag, the capacity state and the checks that could not run (``not_checked``, in English; and as codes and
    parameters, ``not_checked_reasons``, when the screens recorded them). `parts`: the row's
    ``contribution_<part>`` keys, when the caller knows them (found in the row otherwise)."""
    scores = {}
    not_checked, notes, every_note_coded = [], [], True
    for name in screens:
        score, share, duty, reason, codes, note, coded_note = _screen_keys(name)
        value = row.get(score)
        coded_notes = row.get(coded_note)
        if isinstance(coded_notes, list):  # the notes as codes and parameters: pages write them in words
            notes.extend(coded_notes)
        if row.get(note):
            not_checked.append(row[note])
            every_note_coded = every_note_coded and isinstance(coded_notes, list)
        if value is None or value != value:
            continue
        scores[name] = {"score": round(float(value), 4), "share": round(float(row.get(share, 0)), 4),
                        "duty_at_risk": round(float(row.get(duty) or 0), 2), "reason": row.get(reason) or ""}
        coded = row.get(codes)
        if isinstance(coded, list) and coded:  # the reason as codes and parameters: pages write it in words
            scores[name]["reasons"] = coded
    out = {
        "lane": row["lane"], "source": row["source"], "random": bool(row["random"]),
        "risk_score": round(float(row["risk_score"]), 4), "duty_at_risk": round(float(row["duty_at_risk"]), 2),
        "profiles": _hits(row, "profiles"), "shadow_profiles": _hits(row, "shadow_profiles"),
        "suppressed_profiles": _hits(row, "suppressed_profiles"), "scores": scores,
        "capacity": row.get("capacity_note", ""), "not_checked": not_checked,
    }
    if isinstance(row.get("capacity_code"), dict):  # the capacity note as a code: pages write it in words
        out["capacity_reason"] = row["capacity_code"]
    if notes and every_note_coded:  # else the English notes say what a screen without codes could not check
        out["not_checked_reasons"] = notes
    if parts is None:
        parts = contribution_keys(row)
    contributions = {key[13:]: round(float(row[key]), 4) for key in parts if row[key] == row[key]}
    if contributions:  # the learned combination: each part's pull on the combined score (log-odds; staff only)
        out["combination"] = {"method": row.get("combination_method", "learned"), "contributions": contributions}
    return json.dumps(out, ensure_ascii=False)


def contribution_keys(names) -> list[str]:
    """The ``contribution_<part>`` names among `names` (the learned combination's parts)."""
    return [name for name in names if name.startswith("contribution_")]


def top_reason(row: dict, screens: list[str]) -> str:
    """One line for a listing: the first profile hit, else the reason of the screen with the largest share."""
    if row["random"]:
        return "random control sample"
    if _hits(row, "profiles"):
        first = row["profiles"][0]
        return f"profile {first['id']} v{first['version']}: {first['matched']}"
    best = max(screens, key=lambda name: row.get(f"{name}_share", 0) or 0, default=None)
    return (row.get(f"{best}_reason") or "") if best else ""


__all__ = ["LANES", "LaneCapacity", "SelectivitySettings", "combined_score", "contribution_keys", "explanation",
           "select", "select_columns", "top_reason"]
