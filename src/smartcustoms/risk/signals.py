"""Gather item-level screen outputs and profile hits into one row of risk signals per declaration."""

import pandas as pd

LANES = ("green", "blue", "yellow", "red")  # in order of severity
SEVERITY = {lane: rank for rank, lane in enumerate(LANES)}


def _joined(series: pd.Series) -> str:
    texts = [text for text in dict.fromkeys(series) if isinstance(text, str) and text]
    return " | ".join(texts)


def screen_signals(items: pd.DataFrame, scores: pd.DataFrame, screens: list[str]) -> pd.DataFrame:
    """Per declaration and screen: the highest item score, the summed duty at risk and the reasons.

    `items` holds declaration_id (and the header fields); `scores` the screens' columns on the same index.
    A screen whose score is NaN on every item of a declaration could not run there: its score stays NaN.
    """
    frame = pd.concat([items[["declaration_id"]], scores], axis=1)
    grouped = frame.groupby("declaration_id", sort=False)
    out = pd.DataFrame(index=pd.Index(grouped.size().index, name="declaration_id"))
    for name in screens:
        reasons = frame[f"{name}_reason"]
        flagged = reasons.ne("") & reasons.notna() & ~reasons.str.startswith("not checked", na=False)
        out[f"{name}_score"] = grouped[f"{name}_score"].max()
        # duty counts only where the screen gives a reason: an unflagged estimate is no risk to report
        duty = frame[f"{name}_duty_at_risk"].where(flagged, 0.0)
        out[f"{name}_duty_at_risk"] = duty.groupby(frame["declaration_id"], sort=False).sum()
        out[f"{name}_reason"] = frame[flagged].groupby("declaration_id", sort=False)[f"{name}_reason"].agg(_joined)
        out[f"{name}_reason"] = out[f"{name}_reason"].fillna("")
        skipped = frame[reasons.str.startswith("not checked", na=False)]
        out[f"{name}_not_checked"] = skipped.groupby("declaration_id", sort=False)[f"{name}_reason"].agg(_joined)
        out[f"{name}_not_checked"] = out[f"{name}_not_checked"].fillna("")
    return out


def profile_signals(items: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """Per declaration: the strongest lane asked by an active profile, the summed weight, and the hits as
    lists of dicts (active, shadow, suppressed) for the explanation."""
    ids = pd.Index(items["declaration_id"].unique(), name="declaration_id")
    out = pd.DataFrame(index=ids)
    out["profile_lane"] = "green"
    out["profile_weight"] = 0.0
    out["profile_force"] = False
    out["profile_key"] = ""  # the first active profile hit, for "maximum hits without selection"
    for key in ("profiles", "shadow_profiles", "suppressed_profiles"):
        out[key] = [[] for _ in range(len(out))]
    if hits is None or hits.empty:
        return out
    hits = hits.assign(declaration_id=items.loc[hits["row"], "declaration_id"].to_numpy())
    hits = hits.drop_duplicates(["declaration_id", "profile_id"])
    active = hits[~hits["shadow"] & ~hits["suppressed"]]
    if len(active):
        severity = active["lane"].map(SEVERITY)
        strongest = active.assign(severity=severity).groupby("declaration_id")["severity"].max()
        out.loc[strongest.index, "profile_lane"] = strongest.map(dict(enumerate(LANES)))
        out.loc[strongest.index, "profile_weight"] = active.groupby("declaration_id")["weight"].sum()
        first = active.groupby("declaration_id")["profile_id"].first()
        out.loc[first.index, "profile_key"] = first
        if "force" in active.columns:
            forced = active[active["force"].fillna(False).astype(bool)]["declaration_id"].unique()
            out.loc[forced, "profile_force"] = True
    for key, subset in (("profiles", active), ("shadow_profiles", hits[hits["shadow"]]),
                        ("suppressed_profiles", hits[hits["suppressed"] & ~hits["shadow"]])):
        listed = subset.groupby("declaration_id").apply(
            lambda g: [{"id": r.profile_id, "version": int(r.version), "lane": r.lane, "matched": r.matched}
                       for r in g.itertuples()], include_groups=False)
        out[key] = [listed.get(declaration_id, []) for declaration_id in out.index]
    return out
