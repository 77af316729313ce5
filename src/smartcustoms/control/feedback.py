"""Feedback from controls: how each risk profile and each selection source performs.

Pure: decisions (``risk.repository.latest_decisions``) and outcomes (``control.outcomes.load_outcomes``) in, one row
per profile or source out. A declaration counts once however many outcomes it has: it is *controlled* when it
has an outcome dated up to ``as_of``, a *hit* when one of them found a discrepancy, and its duty recovered is
the sum over them.

Retirement suggestion (``profile_performance``), with N = ``retire_after_days``:

- **stale**: the profile has been controlling for at least N days, made controls in the last N days, and none
  of them hit;
- **never hit**: no hit at all after at least ``min_selections`` controls.

A profile whose first control is younger than N days and that has fewer controls is "too early to judge".
"""

import json

import numpy as np
import pandas as pd

HIT_COLUMNS = ["declaration_id", "profile_id", "profile_version", "lane"]
CONTROL_LANES = ("yellow", "red")


def profile_hits(decisions: pd.DataFrame) -> pd.DataFrame:
    """One row per (declaration, profile) that hit it, from the ``profiles`` list of each decision's
    explanation JSON; ``lane`` is the final lane (after overrides) where known."""
    lane = "final_lane" if "final_lane" in decisions else "lane"
    lanes = decisions[lane] if lane in decisions else pd.Series(None, index=decisions.index, dtype=object)
    rows = []
    for declaration_id, lane, text in zip(decisions["declaration_id"], lanes, decisions["explanation"]):
        for hit in json.loads(text or "{}").get("profiles") or []:
            rows.append((declaration_id, hit["id"], hit.get("version"), lane))
    return pd.DataFrame(rows, columns=HIT_COLUMNS)


def _controls(outcomes: pd.DataFrame, as_of) -> pd.DataFrame:
    """Per controlled declaration: first and last control date, hit, last hit date, duty recovered."""
    frame = outcomes.assign(inspection_date=pd.to_datetime(outcomes["inspection_date"]))
    if as_of is not None:
        frame = frame[frame["inspection_date"] <= pd.Timestamp(as_of)]
    found = frame["result"].astype(str).eq("discrepancy")
    frame = frame.assign(hit=found, hit_date=frame["inspection_date"].where(found),
                         duty_recovered=pd.to_numeric(frame["duty_recovered"], errors="coerce").fillna(0.0))
    return (frame.groupby("declaration_id")
            .agg(first_control=("inspection_date", "min"), last_control=("inspection_date", "max"),
                 hit=("hit", "any"), last_hit=("hit_date", "max"), duty_recovered=("duty_recovered", "sum"))
            .reset_index())


def _rates(table: pd.DataFrame) -> pd.DataFrame:
    controls = table["controls"].where(table["controls"] > 0)
    return table.assign(hit_rate=table["hits"] / controls, duty_per_control=table["duty_recovered"] / controls)


def profile_performance(decisions: pd.DataFrame, outcomes: pd.DataFrame, *, as_of, retire_after_days: int = 180,
                        min_selections: int = 20) -> pd.DataFrame:
    """One row per profile: selections, controls, hits, hit_rate, duty_recovered, duty_per_control, last_hit,
    suggest_retire and why. ``decisions`` is either ``profile_hits``' frame (one row per declaration and
    profile) or decisions with their ``explanation``. ``min_selections`` counts controlled selections."""
    if retire_after_days <= 0 or min_selections < 1:
        raise ValueError(f"retire_after_days must be > 0 and min_selections >= 1, got {retire_after_days} and "
                         f"{min_selections}")
    hits = decisions if "profile_id" in decisions else profile_hits(decisions)
    as_of = pd.Timestamp(as_of)
    window_start = as_of - pd.Timedelta(days=retire_after_days)
    pairs = hits.drop_duplicates(["declaration_id", "profile_id"])
    pairs = pairs.merge(_controls(outcomes, as_of), on="declaration_id", how="left")
    pairs["controlled"] = pairs["last_control"].notna()
    pairs["hit"] = pairs["hit"].fillna(False).astype(bool)
    pairs["window_control"] = pairs["last_control"] > window_start
    pairs["window_hit"] = pairs["last_hit"] > window_start
    versions = (pairs.groupby("profile_id")["profile_version"]
                .agg(lambda v: ",".join(str(int(x)) for x in sorted(v.dropna().unique())))
                if "profile_version" in pairs else None)
    table = (pairs.groupby("profile_id")
             .agg(selections=("declaration_id", "size"), controls=("controlled", "sum"), hits=("hit", "sum"),
                  duty_recovered=("duty_recovered", "sum"), first_control=("first_control", "min"),
                  last_control=("last_control", "max"), last_hit=("last_hit", "max"),
                  window_controls=("window_control", "sum"), window_hits=("window_hit", "sum"))
             .reset_index())
    table["versions"] = table["profile_id"].map(versions) if versions is not None else ""
    table = _rates(table)
    stale = ((table["window_controls"] > 0) & (table["window_hits"] == 0)
             & (table["first_control"] <= window_start)).to_numpy(dtype=bool)
    never = ((table["hits"] == 0) & (table["controls"] >= min_selections)).to_numpy(dtype=bool)
    table["suggest_retire"] = stale | never
    table["why"] = [_why(row, stale[i], never[i], retire_after_days, min_selections)
                    for i, row in enumerate(table.itertuples())]
    table = table.sort_values(["suggest_retire", "hit_rate", "profile_id"], ascending=[False, True, True],
                              na_position="last", kind="mergesort")
    return table.reset_index(drop=True)


def _why(row, stale: bool, never: bool, days: int, min_controls: int) -> str:
    text = f"{row.selections} selection(s), {row.controls} controlled, {row.hits} hit(s)"
    if row.controls:
        text += f" ({row.hits / row.controls:.0%}), {row.duty_recovered:,.2f} duty recovered"
    if pd.notna(row.last_hit):
        text += f"; last hit {row.last_hit:%Y-%m-%d}"
    if never:
        return f"{text}; retire? no hit in {row.controls} controls (at least {min_controls})"
    if stale:
        return f"{text}; retire? no hit in the last {days} days despite {row.window_controls} control(s)"
    if row.window_hits:
        return f"{text}; keep: hit in the last {days} days"
    return f"{text}; too early to judge" if row.controls < min_controls else text


def source_performance(decisions: pd.DataFrame, outcomes: pd.DataFrame, *, as_of=None) -> pd.DataFrame:
    """One row per selection source (model / profile / screen / random / ...): selections (declarations sent
    to yellow or red, final lane), controls, hits, hit_rate, duty_recovered and duty_per_control."""
    lane = decisions["final_lane"] if "final_lane" in decisions else decisions["lane"]
    frame = decisions.loc[lane.isin(CONTROL_LANES).to_numpy(), ["declaration_id", "source"]].copy()
    if "random" in decisions:
        random = decisions.loc[frame.index, "random"].fillna(False).astype(bool)
        frame.loc[random.to_numpy(), "source"] = "random"
    frame = frame.drop_duplicates("declaration_id", keep="last")
    frame = frame.merge(_controls(outcomes, as_of), on="declaration_id", how="left")
    frame["controlled"] = frame["last_control"].notna()
    frame["hit"] = frame["hit"].fillna(False).astype(bool)
    frame["duty_recovered"] = frame["duty_recovered"].fillna(0.0)
    table = (frame.groupby("source")
             .agg(selections=("declaration_id", "size"), controls=("controlled", "sum"), hits=("hit", "sum"),
                  duty_recovered=("duty_recovered", "sum"))
             .reset_index())
    table[["controls", "hits"]] = table[["controls", "hits"]].astype(np.int64)
    return _rates(table).sort_values("source", kind="mergesort").reset_index(drop=True)
