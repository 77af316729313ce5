"""Selectivity: from risk signals to a lane per declaration, under each office's daily capacity, with a
stratified random control sample. The ladder, in order:

1. an active profile that forces red (``force: true`` or weight >= ``force_weight``) gives red, capacity or not;
2. the lane asked by active profiles and the lane of the combined screen score (thresholds) -> the stronger;
3. capacity per office, day and lane: the highest-ranked candidates keep their lane, the others move down
   (red -> yellow -> blue), and the explanation says so;
4. every ``max_hits_without_selection``-th profile hit left unselected is selected all the same;
5. a random control share of the declarations left green or blue, drawn within each stratum (office and
   transport mode by default), goes to ``random_lane`` and is flagged random so hit rates can be measured.
"""

import hashlib
import json

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, field_validator

from smartcustoms.risk.signals import LANES, SEVERITY

DOWNGRADE = {"red": "yellow", "yellow": "blue", "blue": "blue"}


class LaneCapacity(BaseModel):
    """Declarations per office and day a lane can take (None: no limit)."""

    red: int | None = None
    yellow: int | None = None
    blue: int | None = None


class SelectivitySettings(BaseModel):
    weights: dict[str, float] = Field(
        default_factory=lambda: {"valuation": 1.0, "classification": 0.9, "origin": 0.8, "trader": 0.4,
                                 "model": 1.0})
    red_threshold: float = Field(0.85, ge=0, le=1)
    yellow_threshold: float = Field(0.6, ge=0, le=1)
    blue_threshold: float = Field(0.35, ge=0, le=1)
    expected_selection_rate: float | None = Field(None, gt=0, lt=1, description="if set, the yellow threshold "
                                                  "is the score quantile that selects this share (ASYCUDA)")
    force_weight: float = 100.0
    capacity: dict[str, LaneCapacity] = Field(default_factory=dict, description="by office ID")
    default_capacity: LaneCapacity = Field(default_factory=LaneCapacity)
    random_rate: float = Field(0.02, ge=0.01, le=0.05)
    random_lane: str = "red"
    random_strata: list[str] = Field(default_factory=lambda: ["office_id", "transport_mode"])
    max_hits_without_selection: int | None = Field(None, ge=1)
    seed: int = 0

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


def combined_score(signals: pd.DataFrame, weights: dict[str, float]) -> tuple[pd.Series, pd.DataFrame]:
    """Noisy-or of the weighted screen scores (a screen that could not run counts 0) and each screen's share."""
    parts = pd.DataFrame(index=signals.index)
    for name, weight in weights.items():
        if f"{name}_score" in signals.columns:
            parts[name] = signals[f"{name}_score"].fillna(0).clip(0, 1) * min(max(weight, 0), 1)
    score = 1 - (1 - parts).prod(axis=1) if len(parts.columns) else pd.Series(0.0, index=signals.index)
    total = parts.sum(axis=1).replace(0, np.nan)
    shares = parts.div(total, axis=0).fillna(0)
    return score, shares


def _uniform(ids: pd.Series, seed: int) -> np.ndarray:
    """A reproducible uniform number per declaration ID (the same ID always draws the same number)."""
    hashed = pd.util.hash_array(ids.astype(str).to_numpy(), hash_key=f"{seed:016d}"[:16])
    return hashed / np.float64(2**64)


def _apply_capacity(frame: pd.DataFrame, settings: SelectivitySettings) -> pd.DataFrame:
    """Keep the best-ranked candidates of each office, day and lane within capacity; move the rest down."""
    day = frame["acceptance_datetime"].dt.normalize()
    for lane in ("red", "yellow", "blue"):
        offices = frame["office_id"].unique()
        limits = frame["office_id"].map({office: settings.capacity_of(office, lane) for office in offices})
        if limits.isna().all():
            continue
        candidates = frame["lane"].eq(lane) & ~frame["forced"]
        ranked = frame[candidates].sort_values(["rank_key", "duty_at_risk"], ascending=False)
        position = ranked.groupby([ranked["office_id"], day[ranked.index]]).cumcount()
        limit = limits[ranked.index]
        over = ranked.index[limit.notna() & (position >= limit)]
        if len(over):
            frame.loc[over, "lane"] = DOWNGRADE[lane]
            frame.loc[over, "capacity_note"] = (
                f"{lane} capacity of the office for the day used up: moved to {DOWNGRADE[lane]}")
    return frame


def _random_controls(frame: pd.DataFrame, settings: SelectivitySettings) -> pd.Series:
    """Within each stratum, the declarations left green or blue with the lowest draws, random_rate of them."""
    eligible = frame["lane"].isin(["green", "blue"])
    draw = pd.Series(_uniform(frame["declaration_id"], settings.seed), index=frame.index)
    strata = [frame[name].astype(str) for name in settings.random_strata if name in frame.columns]
    pool = pd.DataFrame({"draw": draw, "stratum": pd.Series("all", index=frame.index)})
    if strata:
        pool["stratum"] = strata[0].str.cat(strata[1:], sep="/") if len(strata) > 1 else strata[0]
    pool = pool[eligible]
    size = pool.groupby("stratum")["draw"].transform("size")
    order = pool.groupby("stratum")["draw"].rank(method="first")
    # floor(n * rate + u) per stratum, u drawn per stratum: the expected share is exactly the rate
    nudge = pd.Series(_uniform(pool["stratum"], settings.seed + 1), index=pool.index)
    quota = np.floor(size * settings.random_rate + nudge)
    chosen = pd.Series(False, index=frame.index)
    chosen[pool.index[order <= quota]] = True
    return chosen


def select(signals: pd.DataFrame, settings: SelectivitySettings) -> pd.DataFrame:
    """Lane per declaration. `signals` has one row per declaration with declaration_id, office_id,
    transport_mode, acceptance_datetime, the screens' `<name>_score` / `_duty_at_risk` columns and the profile
    columns of signals.profile_signals."""
    frame = signals.copy()
    score, shares = combined_score(frame, settings.weights)
    frame["risk_score"] = score
    for name in shares.columns:
        frame[f"{name}_share"] = shares[name]
    # expected duty at risk: each screen's estimate (if its doubt is right) times its score
    frame["duty_at_risk"] = 0.0
    for name in shares.columns:
        if f"{name}_duty_at_risk" in frame.columns:
            frame["duty_at_risk"] += frame[f"{name}_duty_at_risk"].fillna(0) * frame[f"{name}_score"].fillna(0)

    yellow = settings.yellow_threshold
    if settings.expected_selection_rate:
        yellow = float(score.quantile(1 - settings.expected_selection_rate))
    score_lane = np.select([score >= settings.red_threshold, score >= yellow, score >= settings.blue_threshold],
                           ["red", "yellow", "blue"], "green")
    profile_lane = frame["profile_lane"]
    by_profile = profile_lane.map(SEVERITY) >= pd.Series(score_lane, index=frame.index).map(SEVERITY)
    frame["lane"] = np.where(by_profile, profile_lane, score_lane)
    frame["source"] = np.where(frame["lane"].eq("green"), "none", np.where(by_profile, "profile", "screen"))
    frame["forced"] = frame["profile_force"] | (frame["profile_weight"] >= settings.force_weight) & profile_lane.eq(
        "red")
    frame.loc[frame["forced"], ["lane", "source"]] = ["red", "profile"]
    frame["rank_key"] = frame["lane"].map(SEVERITY) * 10 + score + frame["profile_weight"] / 1000
    frame["capacity_note"] = ""
    frame = _apply_capacity(frame, settings)

    if settings.max_hits_without_selection:
        missed = frame["profile_key"].ne("") & frame["lane"].isin(["green", "blue"])
        count = missed.groupby(frame["profile_key"]).cumsum()
        due = missed & (count % (settings.max_hits_without_selection + 1) == 0)
        frame.loc[due, "lane"] = frame.loc[due, "profile_lane"]
        frame.loc[due, "capacity_note"] = (f"selected although over capacity: {settings.max_hits_without_selection}"
                                           " earlier hits went unselected")

    frame["random"] = _random_controls(frame, settings)
    frame.loc[frame["random"], ["lane", "source"]] = [settings.random_lane, "random"]
    frame.loc[frame["lane"].eq("green"), "source"] = "none"
    return frame.drop(columns=["rank_key"])


def _hits(row: dict, key: str) -> list:
    value = row.get(key)
    return value if isinstance(value, list) else []


def explanation(row: dict, screens: list[str]) -> str:
    """The decision's explanation as JSON: profiles with what matched, each score and its share, the random
    flag, the capacity state and the checks that could not run."""
    scores = {}
    not_checked = []
    for name in screens:
        value = row.get(f"{name}_score")
        if row.get(f"{name}_not_checked"):
            not_checked.append(row[f"{name}_not_checked"])
        if value is None or value != value:
            continue
        scores[name] = {"score": round(float(value), 4), "share": round(float(row.get(f"{name}_share", 0)), 4),
                        "duty_at_risk": round(float(row.get(f"{name}_duty_at_risk") or 0), 2),
                        "reason": row.get(f"{name}_reason") or ""}
    return json.dumps({
        "lane": row["lane"], "source": row["source"], "random": bool(row["random"]),
        "risk_score": round(float(row["risk_score"]), 4), "duty_at_risk": round(float(row["duty_at_risk"]), 2),
        "profiles": _hits(row, "profiles"), "shadow_profiles": _hits(row, "shadow_profiles"),
        "suppressed_profiles": _hits(row, "suppressed_profiles"), "scores": scores,
        "capacity": row.get("capacity_note", ""), "not_checked": not_checked,
    }, ensure_ascii=False)


def top_reason(row: dict, screens: list[str]) -> str:
    """One line for a listing: the first profile hit, else the reason of the screen with the largest share."""
    if row["random"]:
        return "random control sample"
    if _hits(row, "profiles"):
        first = row["profiles"][0]
        return f"profile {first['id']} v{first['version']}: {first['matched']}"
    best = max(screens, key=lambda name: row.get(f"{name}_share", 0) or 0, default=None)
    return (row.get(f"{best}_reason") or "") if best else ""


__all__ = ["LANES", "LaneCapacity", "SelectivitySettings", "combined_score", "explanation", "select", "top_reason"]
