"""Gather item-level screen outputs and profile hits into one row of risk signals per declaration."""

import numpy as np
import pandas as pd

from smartcustoms.frames import objects
from smartcustoms.risk.valuation import factorize

LANES = ("green", "blue", "yellow", "red")  # in order of severity
SEVERITY = {lane: rank for rank, lane in enumerate(LANES)}


def _join_per_group(group: np.ndarray, texts: np.ndarray, groups: int) -> np.ndarray:
    """The distinct texts of each group, in order of appearance, joined with ' | ' ("" for a group without
    text)."""
    out = np.full(groups, "", dtype=object)
    distinct: dict[int, dict[str, None]] = {}
    for at, text in zip(group.tolist(), texts.tolist()):
        distinct.setdefault(at, {})[text] = None
    for at, found in distinct.items():
        out[at] = " | ".join(found)
    return out


def _codes_per_group(group: np.ndarray, codes: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct coded reasons (``{"code", "params"}``) of each group's items, in order (None without any): the
    findings, and apart the "not checked" notes (codes ``<screen>.not_checked.*``, also those that a flagged item's
    reason carries after its findings)."""
    out, notes = np.full(groups, None, dtype=object), np.full(groups, None, dtype=object)
    for at, found in zip(group.tolist(), codes.tolist()):
        if not found:
            continue
        for reason in found:
            into = notes if ".not_checked." in reason["code"] else out
            listed = into[at]
            if listed is None:
                into[at] = [reason]
            elif reason not in listed:
                listed.append(reason)
    return out, notes


def screen_signals(items: pd.DataFrame, scores: pd.DataFrame, screens: list[str]) -> pd.DataFrame:
    """Per declaration and screen: the highest item score, the duty at risk of the flagged items and the
    reasons. `scores` holds the screens' columns on the index of `items`. A screen whose score is NaN on
    every item of a declaration could not run there: its score stays NaN and `<name>_not_checked` says why.
    A screen that records its reasons as codes (`<name>_codes`) gets them per declaration, its findings in
    `<name>_codes` and its "not checked" notes in `<name>_not_checked_codes`.
    Declarations come out in the order they first appear."""
    columns, _ = screen_signal_columns(items["declaration_id"], scores, screens)
    _, uniques = pd.factorize(items["declaration_id"], sort=False)  # the index as pandas gives it
    return pd.DataFrame(columns).set_axis(pd.Index(uniques, name="declaration_id"))


def screen_signal_columns(declaration_ids, scores, screens: list[str], index: pd.Index | None = None
                          ) -> tuple[dict, np.ndarray]:
    """`screen_signals` as (columns, declaration IDs): `scores` a frame or a mapping of columns (one array per
    column, on the goods items of `declaration_ids`); text columns as Series of Python objects on `index` (one
    index object for all: a frame built from them aligns nothing)."""
    group, uniques = factorize(declaration_ids)
    groups = len(uniques)
    single = groups == len(group)  # one item per declaration: nothing to reduce
    order = np.argsort(group, kind="stable")
    starts = np.flatnonzero(np.r_[True, group[order][1:] != group[order][:-1]]) if len(order) else order
    columns = {}
    for name in screens:
        reasons = np.asarray(scores[f"{name}_reason"], dtype=object)
        written = np.flatnonzero(pd.notna(reasons) & (reasons != ""))
        skipped = np.zeros(len(reasons), dtype=bool)
        skipped[written] = [text.startswith("not checked") for text in reasons[written]]
        flagged = np.zeros(len(reasons), dtype=bool)
        flagged[written] = ~skipped[written]
        score = np.asarray(scores[f"{name}_score"], dtype=float)
        duty = np.where(flagged, np.asarray(scores[f"{name}_duty_at_risk"], dtype=float), 0.0)
        if single:
            at = np.empty(groups, dtype=np.int64)
            at[group] = np.arange(groups)
            columns[f"{name}_score"] = score[at]
            columns[f"{name}_duty_at_risk"] = duty[at]
        else:
            with np.errstate(invalid="ignore"):
                columns[f"{name}_score"] = np.fmax.reduceat(score[order], starts) if groups else score[:0]
            columns[f"{name}_duty_at_risk"] = np.add.reduceat(duty[order], starts) if groups else duty[:0]
        columns[f"{name}_reason"] = _join_per_group(group[flagged], reasons[flagged], groups)
        columns[f"{name}_not_checked"] = _join_per_group(group[skipped], reasons[skipped], groups)
        if f"{name}_codes" in scores:  # the same reasons and notes as codes and parameters, for the reader's words
            coded = np.asarray(scores[f"{name}_codes"], dtype=object)
            columns[f"{name}_codes"], columns[f"{name}_not_checked_codes"] = _codes_per_group(
                group[written], coded[written], groups)
    # text columns stay Python objects: converting them to Arrow strings costs more than the rest
    return {k: objects(v, index) if v.dtype == object else v for k, v in columns.items()}, uniques


def profile_signals(items: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """Per declaration, from the active profile hits: the strongest lane asked, the highest weight, the highest
    weight of a red hit, whether one forces red, and the first hit asking for a control (yellow or red); plus
    all hits (active, shadow, suppressed) as lists for the explanation."""
    row = None if hits is None or hits.empty else items.index.get_indexer(hits["row"])
    columns, _ = profile_signal_columns(items["declaration_id"], hits, row)
    out = pd.DataFrame({name: columns.pop(name) for name in PROFILE_COLUMNS[:5]},
                       index=pd.Index(items["declaration_id"].unique(), name="declaration_id"))
    for name, column in columns.items():
        out[name] = column
    return out


PROFILE_COLUMNS = ("profile_lane", "profile_weight", "profile_red_weight", "profile_force", "profile_key",
                   "profiles", "shadow_profiles", "suppressed_profiles")


def profile_signal_columns(declaration_ids, hits, row) -> tuple[dict, np.ndarray]:
    """`profile_signals` as (columns, declaration IDs in order of first appearance): `hits` a frame or a mapping
    of columns (`risk.profiles.evaluate` or its columns), `row` the position in `declaration_ids` of each hit's
    goods item (None without hits). Hits are far fewer than goods items: one pass over them in Python is cheaper
    than grouping."""
    _, ids = factorize(declaration_ids)
    active: dict = {}  # declaration -> [severity, weight, red weight, force, first control profile]
    lists = {key: {} for key in ("profiles", "shadow_profiles", "suppressed_profiles")}
    if row is not None and len(row):
        owner = np.asarray(declaration_ids, dtype=object)[row]
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
    position = {value: at for at, value in enumerate(ids.tolist())} if (active or any(lists.values())) else {}
    lane, weight, red = np.zeros(n, dtype=np.int64), np.zeros(n), np.zeros(n)
    force, key = np.zeros(n, dtype=bool), np.full(n, "", dtype=object)
    if active:
        at = [position[value] for value in active]
        severity, weight[at], red[at], force[at], key[at] = (np.array(v, dtype=object) for v in zip(*active.values()))
        lane[at] = severity.astype(np.int64)
    out = {"profile_lane": np.array(LANES, dtype=object)[lane], "profile_weight": weight,
           "profile_red_weight": red, "profile_force": force, "profile_key": key}
    for name, found in lists.items():  # None where a declaration has no such hit
        column = np.full(n, None, dtype=object)
        for value, listed in found.items():
            column[position[value]] = listed  # one by one: numpy would read a list of equal-length lists as a matrix
        out[name] = column
    return out, ids
