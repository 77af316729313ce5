"""Gather item-level screen outputs and profile hits into one row of risk signals per declaration."""

import numpy as np
import pandas as pd

LANES = ("green", "blue", "yellow", "red")  # in order of severity
SEVERITY = {lane: rank for rank, lane in enumerate(LANES)}


def _join_by(ids: pd.Series, texts: pd.Series) -> pd.Series:
    """The distinct texts of each ID joined with ' | ' (the common single-text case stays vectorised)."""
    frame = pd.DataFrame({"id": ids.to_numpy(), "text": texts.to_numpy()}).drop_duplicates()
    repeated = frame["id"].duplicated(keep=False)
    single = frame[~repeated].set_index("id")["text"]
    multi = frame[repeated].groupby("id", sort=False)["text"].agg(" | ".join)
    return pd.concat([single, multi])


def screen_signals(items: pd.DataFrame, scores: pd.DataFrame, screens: list[str]) -> pd.DataFrame:
    """Per declaration and screen: the highest item score, the duty at risk of the flagged items and the
    reasons. `scores` holds the screens' columns on the index of `items`. A screen whose score is NaN on
    every item of a declaration could not run there: its score stays NaN and `<name>_not_checked` says why."""
    ids = items["declaration_id"]
    single = ids.is_unique  # one item per declaration (the common case, and one-declaration calls): no grouping
    index = pd.Index(ids.to_numpy() if single else ids.unique(), name="declaration_id")
    columns = {}
    for name in screens:
        reasons = scores[f"{name}_reason"].fillna("").to_numpy(dtype=object)
        skipped = np.array([text.startswith("not checked") for text in reasons], dtype=bool)
        flagged = (reasons != "") & ~skipped
        score = scores[f"{name}_score"].to_numpy(dtype=float)
        duty = np.where(flagged, scores[f"{name}_duty_at_risk"].to_numpy(dtype=float), 0.0)
        if single:
            columns[f"{name}_score"] = score
            columns[f"{name}_duty_at_risk"] = duty
            columns[f"{name}_reason"] = np.where(flagged, reasons, "")
            columns[f"{name}_not_checked"] = np.where(skipped, reasons, "")
            continue
        columns[f"{name}_score"] = pd.Series(score).groupby(ids.to_numpy(), sort=False).max().reindex(index)
        columns[f"{name}_duty_at_risk"] = pd.Series(duty).groupby(ids.to_numpy(), sort=False).sum().reindex(index)
        columns[f"{name}_reason"] = _join_by(ids[flagged], pd.Series(reasons[flagged])).reindex(index).fillna("")
        columns[f"{name}_not_checked"] = _join_by(ids[skipped], pd.Series(reasons[skipped])).reindex(index).fillna("")
    return pd.DataFrame({k: np.asarray(v) for k, v in columns.items()}, index=index)


def profile_signals(items: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """Per declaration, from the active profile hits: the strongest lane asked, the highest weight, the highest
    weight of a red hit, whether one forces red, and the first hit asking for a control (yellow or red); plus
    all hits (active, shadow, suppressed) as lists for the explanation."""
    ids = pd.Index(items["declaration_id"].unique(), name="declaration_id")
    out = pd.DataFrame({"profile_lane": "green", "profile_weight": 0.0, "profile_red_weight": 0.0,
                        "profile_force": False, "profile_key": ""}, index=ids)
    lists = {key: {} for key in ("profiles", "shadow_profiles", "suppressed_profiles")}
    if hits is not None and not hits.empty:
        hits = hits.assign(declaration_id=items["declaration_id"].to_numpy()[items.index.get_indexer(hits["row"])])
        hits = hits.drop_duplicates(["declaration_id", "profile_id"])
        active = hits[~hits["shadow"] & ~hits["suppressed"]]
        if len(active):
            grouped = active.assign(severity=active["lane"].map(SEVERITY)).groupby("declaration_id", sort=False)
            found = grouped.size().index
            out.loc[found, "profile_lane"] = grouped["severity"].max().map(dict(enumerate(LANES)))
            out.loc[found, "profile_weight"] = grouped["weight"].max()
            red = active[active["lane"] == "red"]
            out.loc[red["declaration_id"].unique(), "profile_red_weight"] = red.groupby("declaration_id")[
                "weight"].max()
            forced = active.loc[active["force"].astype(bool), "declaration_id"].unique()
            out.loc[forced, "profile_force"] = True
            control = active[active["lane"].isin(["yellow", "red"])]
            out.loc[control["declaration_id"].unique(), "profile_key"] = control.groupby("declaration_id")[
                "profile_id"].first()
        columns = [hits[c].tolist() for c in ("declaration_id", "profile_id", "version", "lane", "matched",
                                               "shadow", "suppressed")]
        for declaration_id, profile_id, version, lane, matched, shadow, suppressed in zip(*columns):
            key = "shadow_profiles" if shadow else "suppressed_profiles" if suppressed else "profiles"
            lists[key].setdefault(declaration_id, []).append(
                {"id": profile_id, "version": int(version), "lane": lane, "matched": matched})
    for key, found_hits in lists.items():  # None where a declaration has no such hit
        out[key] = pd.Series(found_hits, dtype=object).reindex(out.index)
    return out
