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
    one = len(index) == 1  # one declaration of several items: plain reductions
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
        if one:
            columns[f"{name}_score"] = [np.nan if np.isnan(score).all() else np.nanmax(score)]
            columns[f"{name}_duty_at_risk"] = [duty.sum()]
            columns[f"{name}_reason"] = [" | ".join(dict.fromkeys(reasons[flagged]))]
            columns[f"{name}_not_checked"] = [" | ".join(dict.fromkeys(reasons[skipped]))]
            continue
        columns[f"{name}_score"] = pd.Series(score).groupby(ids.to_numpy(), sort=False).max().reindex(index)
        columns[f"{name}_duty_at_risk"] = pd.Series(duty).groupby(ids.to_numpy(), sort=False).sum().reindex(index)
        columns[f"{name}_reason"] = _join_by(ids[flagged], pd.Series(reasons[flagged])).reindex(index).fillna("")
        columns[f"{name}_not_checked"] = _join_by(ids[skipped], pd.Series(reasons[skipped])).reindex(index).fillna("")
    return pd.DataFrame({k: np.asarray(v) for k, v in columns.items()}, index=index)


def profile_signals(items: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """Per declaration, from the active profile hits: the strongest lane asked, the highest weight, the highest
    weight of a red hit, whether one forces red, and the first hit asking for a control (yellow or red); plus
    all hits (active, shadow, suppressed) as lists for the explanation. Hits are far fewer than goods items:
    one pass over them in Python is cheaper than grouping."""
    ids = pd.Index(items["declaration_id"].unique(), name="declaration_id")
    active: dict = {}  # declaration -> [severity, weight, red weight, force, first control profile]
    lists = {key: {} for key in ("profiles", "shadow_profiles", "suppressed_profiles")}
    if hits is not None and not hits.empty:
        owner = items["declaration_id"].to_numpy()[items.index.get_indexer(hits["row"])]
        columns = [hits[c].tolist() for c in ("profile_id", "version", "lane", "weight", "force", "matched",
                                               "shadow", "suppressed")]
        seen = set()
        for declaration_id, profile_id, version, lane, weight, force, matched, shadow, suppressed in zip(
                owner, *columns):
            if (declaration_id, profile_id) in seen:  # one hit per profile and declaration
                continue
            seen.add((declaration_id, profile_id))
            key = "shadow_profiles" if shadow else "suppressed_profiles" if suppressed else "profiles"
            lists[key].setdefault(declaration_id, []).append(
                {"id": profile_id, "version": int(version), "lane": lane, "matched": matched})
            if key != "profiles":
                continue
            state = active.setdefault(declaration_id, [0, 0.0, 0.0, False, ""])
            state[0] = max(state[0], SEVERITY[lane])
            state[1] = max(state[1], weight)
            if lane == "red":
                state[2] = max(state[2], weight)
            state[3] = state[3] or bool(force)
            if not state[4] and lane in ("yellow", "red"):
                state[4] = profile_id
    n = len(ids)
    lane, weight, red = np.zeros(n, dtype=np.int64), np.zeros(n), np.zeros(n)
    force, key = np.zeros(n, dtype=bool), np.full(n, "", dtype=object)
    if active:
        at = ids.get_indexer(list(active))
        severity, weight[at], red[at], force[at], key[at] = (np.array(v, dtype=object) for v in zip(*active.values()))
        lane[at] = severity.astype(np.int64)
    out = pd.DataFrame({"profile_lane": np.array(LANES, dtype=object)[lane], "profile_weight": weight,
                        "profile_red_weight": red, "profile_force": force, "profile_key": key}, index=ids)
    for name, found in lists.items():  # None where a declaration has no such hit
        column = np.full(n, None, dtype=object)
        for at, value in zip(ids.get_indexer(list(found)), found.values()):
            column[at] = value  # one by one: numpy would read a list of equal-length lists as a matrix
        out[name] = column
    return out
