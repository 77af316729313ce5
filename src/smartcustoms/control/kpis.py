"""Key performance indicators of the control chain: WCO Time Release Study times, control times (remote versus
on site), hit rate by selection source, the share of selections made by models, and revenue recovered.

Pure functions over DataFrames in the layout of the tables (control/tables.py) and of
``risk.repository.latest_decisions``. Medians and 90th percentiles are numpy's default percentile (linear
interpolation between the closest ranks). Summary tables end with an ``"all"`` row; time columns name their
unit (``_min``, ``_h``); money is in the national currency, as stored.
"""

import numpy as np
import pandas as pd

from smartcustoms.control.modes import SETTINGS
from smartcustoms.frames import ordered

ALL = "all"
LANES = ("green", "yellow", "red", "blue")
SELECTED = ("red", "yellow")  # a selection for control; blue is released and audited later
SOURCES = ("model", "profile", "screen", "random", "override", "audit")
MODES = ("physical", "remote", "documentary")  # control.modes in the KPI's order: remote beside on site
STOPPED = ("detained", "seized")
HIT = "discrepancy"

CLEARANCE = ["declaration_id", "office_id", "lane", "lodged_at", "lane_at", "released_at", "status"]
TASKS = ["task_id", "declaration_id", "office_id", "mode", "state", "source", "created_at"]
EVENTS = ["task_id", "to_state", "at"]
DECISIONS = ["declaration_id", "lane", "final_lane", "source", "random", "assessed_at"]
OUTCOMES = ["declaration_id", "inspection_date", "control_type", "selection_reason", "result", "duty_recovered",
            "penalty", "task_id", "case_id"]


PROBLEMS = ["table", "id", "problem"]


class KpiError(ValueError):
    """Input a KPI cannot be computed from: a missing column, or an empty period. (Times out of order in a row are
    no reason to fail: that row's times are left out and the row is reported by ``data_problems``.)"""


def empty(columns: list[str]) -> pd.DataFrame:
    """A frame with the given columns and no rows (the shape of an empty table)."""
    return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})


def _need(frame: pd.DataFrame, name: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KpiError(f"{name}: missing column(s) {missing}")


def _stats(values: pd.Series) -> tuple[float, float]:
    """Median and 90th percentile (numpy's default, linear); NaN for no values."""
    values = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if values.size == 0:
        return float("nan"), float("nan")
    return float(np.percentile(values, 50)), float(np.percentile(values, 90))


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else float("nan")


def _lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """values[key] for each key (NaN where absent); values has one row per key."""
    return pd.Series(values.reindex(keys.to_numpy()).to_numpy(), index=keys.index)


def _out_of_order(frame: pd.DataFrame, earlier: str, later: str, key: str, name: str) -> pd.DataFrame:
    """The rows whose `later` time is before their `earlier` one (a clock set wrong, a declaration accepted a few
    seconds in the future), as PROBLEMS rows: one bad row must not stop the report."""
    wrong = frame[frame[later] < frame[earlier]]
    return pd.DataFrame({"table": name, "id": wrong[key].astype(str).tolist(),
                         "problem": [f"{later} ({b}) is before {earlier} ({a}): its times are left out"
                                     for a, b in zip(wrong[earlier], wrong[later])]}, columns=PROBLEMS)


def _release_frame(clearance: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The clearance rows with their times parsed, and the rows whose times are out of order."""
    _need(clearance, "clearance", CLEARANCE)
    frame = clearance.assign(**{c: pd.to_datetime(clearance[c]) for c in ("lodged_at", "lane_at", "released_at")})
    problems = pd.concat([_out_of_order(frame, "lodged_at", "lane_at", "declaration_id", "declaration"),
                          _out_of_order(frame, "lane_at", "released_at", "declaration_id", "declaration")],
                         ignore_index=True)
    return frame, problems


# --- Time Release Study -----------------------------------------------------------------------------------------


BATCH_LANE = pd.Timedelta(days=1)
LODGING_ACTOR = "web"  # the assessments made as the declarations are lodged (web.submissions.ACTOR)


def release_durations(clearance: pd.DataFrame) -> pd.DataFrame:
    """Each declaration's times: lodgement -> lane in minutes, lane -> release and lodgement -> release in hours
    (NaN while not released). A lane given more than BATCH_LANE after lodgement by an assessment other than the
    web's lodging (the optional column ``assessed_by``: its actor) came from a batch assessment of declarations
    lodged before (``smartcustoms assess`` on an import), not from a wait at the border: ``lane_by_batch`` is True
    and its lodgement -> lane and lodgement -> release are NaN."""
    frame, _ = _release_frame(clearance)
    late = (frame["lane_at"] - frame["lodged_at"]) > BATCH_LANE
    batch = (late & frame["assessed_by"].notna() & frame["assessed_by"].ne(LODGING_ACTOR) if "assessed_by" in frame
             else pd.Series(False, index=frame.index))
    # times out of order (data_problems names the rows): the row counts, its times do not
    bad = (frame["lane_at"] < frame["lodged_at"]) | (frame["released_at"] < frame["lane_at"])
    return frame.assign(
        lane_by_batch=batch,
        lodgement_to_lane_min=((frame["lane_at"] - frame["lodged_at"]).dt.total_seconds() / 60).mask(batch | bad),
        lane_to_release_h=((frame["released_at"] - frame["lane_at"]).dt.total_seconds() / 3600).mask(bad),
        lodgement_to_release_h=((frame["released_at"] - frame["lodged_at"]).dt.total_seconds() / 3600)
        .mask(batch | bad),
    )


RELEASE_COLUMNS = ["office_id", "lane", "declarations", "released", "held", "detained_or_seized",
                   "lodgement_to_lane_median_min", "lodgement_to_lane_p90_min", "lane_to_release_median_h",
                   "lane_to_release_p90_h", "lodgement_to_release_median_h", "lodgement_to_release_p90_h",
                   "lane_by_batch"]


def _release_row(office: str, lane: str, part: pd.DataFrame) -> dict:
    released = part["released_at"].notna()
    stopped = ~released & part["status"].isin(STOPPED)
    row = {"office_id": office, "lane": lane, "declarations": len(part), "released": int(released.sum()),
           "held": int((~released & ~stopped).sum()), "detained_or_seized": int(stopped.sum()),
           "lane_by_batch": int(part["lane_by_batch"].sum())}
    for name, unit in (("lodgement_to_lane", "min"), ("lane_to_release", "h"), ("lodgement_to_release", "h")):
        row[f"{name}_median_{unit}"], row[f"{name}_p90_{unit}"] = _stats(part[f"{name}_{unit}"])
    return row


def release_times(clearance: pd.DataFrame) -> pd.DataFrame:
    """WCO Time Release Study: per office and lane, per office (lane "all"), per lane (office "all") and in all:
    declarations, released, still held, detained or seized, and median and 90th percentile of lodgement -> lane
    (minutes), lane -> release and lodgement -> release (hours, released declarations only), and how many got
    their lane from a later batch assessment (left out of the times from lodgement: see release_durations)."""
    frame = release_durations(clearance)
    rows = []
    for office in [*ordered(frame["office_id"], ()), ALL]:
        in_office = frame if office == ALL else frame[frame["office_id"] == office]
        for lane in [*ordered(in_office["lane"], LANES), ALL]:
            part = in_office if lane == ALL else in_office[in_office["lane"] == lane]
            rows.append(_release_row(office, lane, part))
    return pd.DataFrame(rows, columns=RELEASE_COLUMNS)


def lanes_per_day(clearance: pd.DataFrame) -> pd.DataFrame:
    """Declarations given each lane per day (of lane_at): day, lane, declarations."""
    _need(clearance, "clearance", CLEARANCE)
    frame = clearance.assign(day=pd.to_datetime(clearance["lane_at"]).dt.normalize())
    counts = frame.groupby(["day", "lane"]).size().rename("declarations").reset_index()
    rank = {lane: i for i, lane in enumerate(ordered(counts["lane"], LANES))}
    counts = counts.sort_values(["day", "lane"], key=lambda s: s.map(rank) if s.name == "lane" else s)
    return counts.reset_index(drop=True)[["day", "lane", "declarations"]]


# --- control times ----------------------------------------------------------------------------------------------


def control_durations(tasks: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Each task's start (first event to 'scheduled', else first to 'in_progress' for tasks that skip
    scheduling), completion (first event to 'completed') and the hours between (NaN while not done)."""
    _need(tasks, "tasks", ["task_id", "mode"])
    _need(events, "task events", EVENTS)
    at = events.assign(at=pd.to_datetime(events["at"]))

    def first(state: str) -> pd.Series:
        return at[at["to_state"] == state].groupby("task_id")["at"].min()

    frame = tasks.copy()
    started = pd.to_datetime(_lookup(frame["task_id"], first("scheduled")))
    frame["started_at"] = started.fillna(pd.to_datetime(_lookup(frame["task_id"], first("in_progress"))))
    frame["completed_at"] = pd.to_datetime(_lookup(frame["task_id"], first("completed")))
    hours = (frame["completed_at"] - frame["started_at"]).dt.total_seconds() / 3600
    frame["scheduled_to_completed_h"] = hours.mask(frame["completed_at"] < frame["started_at"])  # data_problems
    return frame


def data_problems(clearance: pd.DataFrame, tasks: pd.DataFrame | None = None,
                  events: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows whose times the KPIs left out, and why (PROBLEMS: table, id, problem): times out of order."""
    parts = [_release_frame(clearance)[1]]
    if tasks is not None and events is not None and len(tasks):
        frame = control_durations(tasks, events)
        parts.append(_out_of_order(frame, "started_at", "completed_at", "task_id", "task"))
    return pd.concat(parts, ignore_index=True)[PROBLEMS]


CONTROL_COLUMNS = ["mode", "setting", "tasks", "completed", "open", "scheduled_to_completed_median_h",
                   "scheduled_to_completed_p90_h"]


def control_times(tasks: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Per control mode (physical = on site, remote, documentary = desk) and in all: tasks, completed, still open,
    and median and 90th percentile of the hours from scheduling to completion. A task completed without a
    scheduling (or start) event counts as completed but has no time."""
    frame = control_durations(tasks, events)
    rows = []
    for mode in [*ordered(frame["mode"], MODES), ALL]:
        part = frame if mode == ALL else frame[frame["mode"] == mode]
        done = int(part["completed_at"].notna().sum())
        median, p90 = _stats(part["scheduled_to_completed_h"])
        rows.append({"mode": mode, "setting": SETTINGS.get(mode, ALL if mode == ALL else mode), "tasks": len(part),
                     "completed": done, "open": len(part) - done, "scheduled_to_completed_median_h": median,
                     "scheduled_to_completed_p90_h": p90})
    return pd.DataFrame(rows, columns=CONTROL_COLUMNS)


# --- selections, hit rates, revenue -----------------------------------------------------------------------------


def selection_source(decisions: pd.DataFrame) -> pd.Series:
    """What selected each declaration: 'random' for the random sample, 'override' where an officer moved it into
    a control lane (as control.inspections names the task's source), else the decision's source (profile |
    screen | model | none)."""
    _need(decisions, "decisions", ["lane", "final_lane", "source", "random"])
    random = decisions["random"].eq(True)
    by_override = ~decisions["lane"].isin(SELECTED) & decisions["final_lane"].isin(SELECTED)
    source = decisions["source"].astype(object).where(~by_override, "override")
    return source.where(~random, "random").rename("source")


def selections(decisions: pd.DataFrame) -> pd.DataFrame:
    """The selected decisions (final lane red or yellow), with their selection source."""
    _need(decisions, "decisions", ["lane", "final_lane", "source", "random"])
    chosen = decisions[decisions["final_lane"].isin(SELECTED)]
    return chosen.assign(source=selection_source(chosen))


def attribute_outcomes(outcomes: pd.DataFrame, decisions: pd.DataFrame, tasks: pd.DataFrame | None = None,
                       clearance: pd.DataFrame | None = None) -> pd.DataFrame:
    """Outcomes with what selected them (``source``), their ``office_id``, ``month`` (YYYY-MM of the
    inspection), ``hit`` (a discrepancy found), and duty and penalty as numbers (missing = 0).

    The source is 'audit' for post-clearance audit cases, else the selection source of the declaration's
    decision where it was selected (final lane red or yellow), else the task's source, else the outcome's own
    selection_reason. The office is the task's, else the declaration's clearance office, else 'unknown'."""
    _need(outcomes, "outcomes", ["declaration_id", "inspection_date", "result", "duty_recovered"])
    _need(decisions, "decisions", ["declaration_id", "lane", "final_lane", "source", "random"])
    frame = outcomes.copy()
    for name in ("task_id", "case_id", "penalty", "control_type", "selection_reason"):
        if name not in frame:
            frame[name] = None
    by_decision = selections(decisions.drop_duplicates("declaration_id", keep="last"))
    by_decision = by_decision.set_index("declaration_id")["source"]
    source = _lookup(frame["declaration_id"], by_decision)
    office = pd.Series(np.nan, index=frame.index, dtype=object)
    if tasks is not None and not tasks.empty:
        _need(tasks, "tasks", ["task_id", "source", "office_id"])
        task = tasks.drop_duplicates("task_id").set_index("task_id")
        source = source.fillna(_lookup(frame["task_id"], task["source"]))
        office = office.fillna(_lookup(frame["task_id"], task["office_id"]))
    if clearance is not None and not clearance.empty:
        _need(clearance, "clearance", ["declaration_id", "office_id"])
        offices = clearance.drop_duplicates("declaration_id").set_index("declaration_id")["office_id"]
        office = office.fillna(_lookup(frame["declaration_id"], offices))
    source = source.fillna(frame["selection_reason"].replace("", np.nan)).fillna("unknown")
    audited = frame["case_id"].notna() | frame["control_type"].eq("audit")
    frame["source"] = source.where(~audited, "audit").astype(str)
    frame["office_id"] = office.fillna("unknown").astype(str)
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
    frame["month"] = frame["inspection_date"].dt.strftime("%Y-%m")
    frame["hit"] = frame["result"].eq(HIT)
    frame["duty_recovered"] = pd.to_numeric(frame["duty_recovered"], errors="coerce").fillna(0.0)
    frame["penalty"] = pd.to_numeric(frame["penalty"], errors="coerce").fillna(0.0)
    return frame


HIT_COLUMNS = ["source", "selections", "selection_share", "controls", "hits", "hit_rate", "duty_recovered",
               "penalties", "duty_per_control"]


def hit_rates(decisions: pd.DataFrame, outcomes: pd.DataFrame, tasks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per selection source and in all: selections (final lane red or yellow; none for audits, which are chosen
    apart), their share of all selections, controls (outcome rows), hits (discrepancies), hit rate = hits /
    controls, duty recovered, penalties, and duty recovered per control."""
    chosen = selections(decisions)
    controls = attribute_outcomes(outcomes, decisions, tasks)
    chosen_by = chosen.groupby("source").size()
    total = len(chosen)
    rows = []
    for source in [*ordered(pd.concat([chosen["source"], controls["source"]]), SOURCES), ALL]:
        part = controls if source == ALL else controls[controls["source"] == source]
        picked = total if source == ALL else (pd.NA if source == "audit" else int(chosen_by.get(source, 0)))
        hits, duty = int(part["hit"].sum()), float(part["duty_recovered"].sum())
        rows.append({"source": source, "selections": picked,
                     "selection_share": float("nan") if picked is pd.NA else _ratio(picked, total),
                     "controls": len(part), "hits": hits, "hit_rate": _ratio(hits, len(part)),
                     "duty_recovered": duty, "penalties": float(part["penalty"].sum()),
                     "duty_per_control": _ratio(duty, len(part))})
    frame = pd.DataFrame(rows, columns=HIT_COLUMNS)
    frame["selections"] = frame["selections"].astype("Int64")
    return frame


def model_share(decisions: pd.DataFrame) -> pd.DataFrame:
    """One row: all selections (final lane red or yellow), those made by models, and the models' share."""
    chosen = selections(decisions)
    by_model = int((chosen["source"] == "model").sum())
    return pd.DataFrame([{"selections": len(chosen), "model_selections": by_model,
                          "model_share": _ratio(by_model, len(chosen))}])


def revenue(outcomes: pd.DataFrame, by: str | list[str] = "source") -> pd.DataFrame:
    """Revenue recovered by the given columns of attributed outcomes (see ``attribute_outcomes``: source,
    office_id, month), then in all: controls, hits, duty recovered and penalties (apart)."""
    keys = [by] if isinstance(by, str) else list(by)
    if not keys:
        raise KpiError("revenue: name at least one column to group by")
    _need(outcomes, "outcomes (label them with attribute_outcomes first)", [*keys, "hit", "duty_recovered", "penalty"])
    columns = [*keys, "controls", "hits", "duty_recovered", "penalties"]
    if outcomes.empty:
        return pd.DataFrame([{**dict.fromkeys(keys, ALL), "controls": 0, "hits": 0, "duty_recovered": 0.0,
                              "penalties": 0.0}], columns=columns)
    grouped = (outcomes.groupby(keys).agg(controls=("hit", "size"), hits=("hit", "sum"),
                                          duty_recovered=("duty_recovered", "sum"), penalties=("penalty", "sum"))
               .reset_index())
    if "source" in keys:
        rank = {s: i for i, s in enumerate(ordered(grouped["source"], SOURCES))}
        grouped = grouped.sort_values(keys, key=lambda s: s.map(rank) if s.name == "source" else s)
    total = {**dict.fromkeys(keys, ALL), "controls": len(outcomes), "hits": int(outcomes["hit"].sum()),
             "duty_recovered": float(outcomes["duty_recovered"].sum()), "penalties": float(outcomes["penalty"].sum())}
    frame = pd.concat([grouped, pd.DataFrame([total])], ignore_index=True)[columns]
    return frame.astype({"controls": int, "hits": int, "duty_recovered": float, "penalties": float})


WEEKLY_COLUMNS = ["week", "source", "controls", "hits", "hit_rate"]


def weekly(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Hit rate by source per week (weeks start on Monday) of attributed outcomes, with an 'all' row per week."""
    _need(outcomes, "outcomes (label them with attribute_outcomes first)", ["inspection_date", "source", "hit"])
    if outcomes.empty:
        return pd.DataFrame(columns=WEEKLY_COLUMNS)
    days = pd.to_datetime(outcomes["inspection_date"]).dt.normalize()
    frame = outcomes.assign(week=days - pd.to_timedelta(days.dt.day_of_week, unit="D"))
    frame = pd.concat([frame, frame.assign(source=ALL)], ignore_index=True)
    grouped = frame.groupby(["week", "source"]).agg(controls=("hit", "size"), hits=("hit", "sum")).reset_index()
    rank = {s: i for i, s in enumerate([*ordered(grouped["source"][grouped["source"] != ALL], SOURCES), ALL])}
    grouped = grouped.sort_values(["week", "source"], key=lambda s: s.map(rank) if s.name == "source" else s)
    grouped["hits"] = grouped["hits"].astype(int)
    grouped["hit_rate"] = grouped["hits"] / grouped["controls"]
    return grouped.reset_index(drop=True)[WEEKLY_COLUMNS]


# --- all at once ------------------------------------------------------------------------------------------------


def summary(clearance: pd.DataFrame, tasks: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
            decisions: pd.DataFrame | None = None, outcomes: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every KPI table, by name (missing inputs count as empty): release_times, lanes_per_day, control_times,
    hit_rates, model_share, revenue_by_source, revenue_by_office, revenue_by_month, revenue_by_month_and_source,
    weekly_hit_rates, and data_problems (the rows whose times were left out, and why)."""
    tasks = empty(TASKS) if tasks is None else tasks
    events = empty(EVENTS) if events is None else events
    decisions = empty(DECISIONS) if decisions is None else decisions
    outcomes = empty(OUTCOMES) if outcomes is None else outcomes
    attributed = attribute_outcomes(outcomes, decisions, tasks, clearance)
    return {
        "release_times": release_times(clearance),
        "lanes_per_day": lanes_per_day(clearance),
        "control_times": control_times(tasks, events),
        "hit_rates": hit_rates(decisions, outcomes, tasks),
        "model_share": model_share(decisions),
        "revenue_by_source": revenue(attributed, "source"),
        "revenue_by_office": revenue(attributed, "office_id"),
        "revenue_by_month": revenue(attributed, "month"),
        "revenue_by_month_and_source": revenue(attributed, ["month", "source"]),
        "weekly_hit_rates": weekly(attributed),
        "data_problems": data_problems(clearance, tasks, events),
    }
