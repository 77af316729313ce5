"""The analyst console's reads and figures, shared by its pages and its API: profiles with their performance, one
profile's versions and log, the figures of a replay, the model registry and its drift, the KPI tables, charts
and their alternative texts.

Presentation only: the work is done by the services of ``smartcustoms.risk`` (profiles, replay),
``smartcustoms.control`` (KPIs, profile performance), ``smartcustoms.targeting`` (registry, drift) and
``smartcustoms.declarations``, and by ``smartcustoms.charts``. Who may do what is decided here, once, in the role
tuples below.
"""

import math
from datetime import date, datetime, time, timedelta

import pandas as pd
from babel.numbers import format_decimal, format_percent
from sqlalchemy import Engine

from smartcustoms.accounts.service import User
from smartcustoms.control import service as control_service
from smartcustoms.declarations import service as declarations_service
from smartcustoms.frames import ordered, plain, records
from smartcustoms.risk import service as profile_store
from smartcustoms.risk.service import (
    DERIVED_FIELDS,
    FIELD_KINDS,
    OPERATORS_BY_KIND,
    ProfileError,
    RiskConfig,
    parse_profiles,
    replay,
)
from smartcustoms.store.db import utc_now
from smartcustoms.targeting import service as targeting
from smartcustoms.web import words
from smartcustoms.web.bounds import day_problem
from smartcustoms.web.errors import Forbidden, Invalid
from smartcustoms.web.i18n import N_

ALL, LANES = control_service.ALL, control_service.LANES  # a KPI table's total rows; the lanes in order

# this area's words (web/words.py), by the names its code and templates use
STATES = words.ANALYST_STATES
MODES = words.ANALYST_MODES
LOG_ACTIONS = words.ANALYST_LOG_ACTIONS
MODEL_STATUSES = words.ANALYST_MODEL_STATUSES
MODEL_EVENTS = words.ANALYST_MODEL_EVENTS
SOURCES = words.ANALYST_SOURCES
CONTROL_MODES = words.ANALYST_CONTROL_MODES
LANE_NAMES = words.ANALYST_LANE_NAMES
VARIANTS = words.ANALYST_VARIANTS
DRIFT_LEVELS = words.ANALYST_DRIFT_LEVELS
CHART_TITLES = words.ANALYST_CHART_TITLES
PROFILE_KEYS = words.ANALYST_PROFILE_KEYS

# --- who may do what ---------------------------------------------------------------------------------------------

VIEWERS = ("analyst", "supervisor", "admin")  # the profiles and the model registry
AUTHORS = ("analyst", "supervisor", "admin")  # draft, replay and commit profiles
CHECKERS = ("supervisor", "admin")  # approve (never their own version), publish, retire, suppress; promote, roll back
KPI_READERS = ("officer", "analyst", "supervisor", "admin")  # officers: their own offices only

SOURCE = "web editor"  # the source name of a profile text committed from the console (in the log: "from ...")
REPLAY_DAYS = 30
DRIFT_TOP = 15
CHARTS = ("hit_rates", "lanes_per_day", "release_times", "revenue", "control_times")

# --- words for codes (translated where they are shown) --------------------------------------------------------

EXAMPLE = """\
profile_id: P-FOOTWEAR-LOW
title: Leather footwear declared far below its usual price
purpose: >
  Leather shoes from one origin are often undervalued; controls in the last year found
  undervaluation in a third of them.
owner: Valuation team
lane: yellow
weight: 60
mode: shadow
criteria:
  - field: commodity_code
    prefix: ["6403"]
  - field: unit_value
    max: 8
"""

# --- plain values -------------------------------------------------------------------------------------------------


def json_ready(value):
    """Datetimes as ISO text, everything else as is (for the API's free-form tables)."""
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --- dates of forms and queries -----------------------------------------------------------------------------------


def parse_day(value: str | None, field: str, loc: tuple = ()) -> date | None:
    """A day typed in a form or a query (YYYY-MM-DD; empty: None); an Invalid naming the field otherwise."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid([{"loc": [*loc, field], "msg": N_("Enter a date as YYYY-MM-DD."), "type": "date_parsing"}]) \
            from None


def latest_day(db: Engine) -> date | None:
    """The day of the latest declaration stored (None when there is none)."""
    latest = declarations_service.latest_acceptance(db)
    return latest.date() if latest is not None else None


def period(since: date | None, until: date | None, loc: tuple = (), default_days: int | None = None) \
        -> tuple[date | None, date | None]:
    """The period [since, until] (both included); with ``default_days``, missing ends default to the last days
    up to today. An Invalid when since is after until, or a day lies outside web.bounds (issue 14)."""
    problems = [p for p in (day_problem(since, "since", loc), day_problem(until, "until", loc)) if p]
    if problems:
        raise Invalid(problems)
    if default_days is not None:
        until = until or utc_now().date()
        since = since or until - timedelta(days=default_days - 1)
    if since is not None and until is not None and since > until:
        raise Invalid([{"loc": [*loc, "until"], "msg": N_("The last day comes before the first day."),
                        "type": "period"}])
    return since, until


# --- profiles -----------------------------------------------------------------------------------------------------


def performance(db: Engine) -> dict[str, dict]:
    """profile_id -> its performance row (``control.feedback.profile_performance``): selections, controls, hits,
    hit_rate, duty_recovered, duty_per_control, last_hit, suggest_retire, why."""
    _, frame = control_service.profile_performance(db)
    return {} if frame is None else {row["profile_id"]: row for row in records(frame)}


def profile_rows(db: Engine) -> list[dict]:
    """One row per profile: its summary (``profile_store.profile_summaries``) and its performance (or None)."""
    found = performance(db)
    return [{"profile_id": s.profile_id, "title": s.title, "versions": s.versions, "latest": s.latest,
             "latest_state": s.latest_state, "published": s.published, "lane": s.lane, "mode": s.mode,
             "owner": s.owner, "performance": found.get(s.profile_id)} for s in profile_store.profile_summaries(db)]


def version_states(log: list[profile_store.LogEntry], published: int | None) -> dict[int, str]:
    """version -> committed | approved | published | superseded | retired, from the log."""
    states: dict[int, str] = {}
    for entry in log:
        if entry.version is not None and entry.action in ("committed", "approved", "published", "retired"):
            states[entry.version] = entry.action
    return {version: "superseded" if state == "published" and version != published else state
            for version, state in states.items()}


def profile_detail(db: Engine, profile_id: str) -> dict | None:
    """A profile: its summary, every version (newest first: state, author, approver, YAML), its log, the
    suppressions in force and its performance; None when there is no such profile."""
    summary = next((s for s in profile_store.profile_summaries(db) if s.profile_id == profile_id), None)
    if summary is None:
        return None
    log = profile_store.profile_log(db, profile_id)
    states = version_states(log, summary.published)
    who = {(e.version, e.action): e for e in log if e.version is not None}
    versions = []
    for version in range(summary.latest, 0, -1):
        profile = profile_store.get_profile(db, profile_id, version)
        committed, approved = who.get((version, "committed")), who.get((version, "approved"))
        versions.append({
            "version": version, "state": states.get(version, "committed"), "title": profile.title,
            "lane": profile.lane, "mode": profile.mode, "weight": profile.weight, "force": profile.force,
            "owner": profile.owner, "criteria": profile.describe(), "yaml": profile.to_yaml(),
            "author": committed.actor if committed else None, "committed_at": committed.at if committed else None,
            "approved_by": approved.actor if approved else None,
        })
    suppressions = [s for s in profile_store.active_suppressions(db) if s.profile_id == profile_id]
    return {
        "profile_id": profile_id, "title": summary.title, "lane": summary.lane, "mode": summary.mode,
        "owner": summary.owner, "published": summary.published, "latest": summary.latest,
        "latest_state": summary.latest_state, "versions": versions,
        "log": [{"at": e.at, "version": e.version, "action": e.action, "actor": e.actor, "note": e.note}
                for e in reversed(log)],
        "suppressions": [{"suppression_id": s.suppression_id, "target": s.target(), "importer_id": s.importer_id,
                          "commodity_prefix": s.commodity_prefix, "reason": s.reason, "expires_at": s.expires_at,
                          "created_by": s.created_by, "created_at": s.created_at} for s in suppressions],
        "performance": performance(db).get(profile_id),
    }


def version_exists(db: Engine, profile_id: str, version: int) -> bool:
    try:
        profile_store.get_profile(db, profile_id, version)
    except profile_store.ProfileStoreError:
        return False
    return True


def problems_of(exc: ProfileError, text: str) -> list[dict]:
    """The problems of a profile text: line (or None), the line's text, and the reason."""
    lines = text.splitlines()
    return [{"line": p.line, "text": lines[p.line - 1] if p.line and p.line <= len(lines) else None,
             "reason": p.reason} for p in exc.problems]


def yaml_invalid(exc: ProfileError, text: str) -> Invalid:
    """The API's 422: one item per problem, its line in ``loc`` (after "line") and in the message."""
    return Invalid([{"loc": ["body", "yaml", *(("line", p["line"]) if p["line"] else ())],
                     "msg": f"line {p['line']}: {p['reason']}" if p["line"] else p["reason"],
                     "type": "profile_yaml", "line": p["line"]} for p in problems_of(exc, text)])


def field_help() -> list[dict]:
    """Every field a criterion may name, with its kind and operators (for the editor's help)."""
    return [{"field": name, "kind": kind, "operators": OPERATORS_BY_KIND[kind],
             "derived": DERIVED_FIELDS.get(name, (None, None))[1]} for name, kind in FIELD_KINDS.items()]


# --- replay -------------------------------------------------------------------------------------------------------

METRIC_NAMES = {"with outcome": "with_outcome", "expected hits": "expected_hits", "duty at risk": "duty_at_risk",
                "duty recovered": "duty_recovered"}
DRAFT_NAMES = {"profile": "profile_id", "declarations hit": "declarations_hit", "with outcome": "with_outcome"}


def run_replay(db: Engine, config: RiskConfig, text: str, since: date, until: date) -> dict | None:
    """Replay the profiles of a YAML text over the declarations accepted from `since` to `until` (included),
    beside the published profiles, writing nothing (``risk.replay``): the figures `smartcustoms risk replay`
    prints. ProfileError for a text that does not parse; None when no declaration was accepted then."""
    drafts = parse_profiles(text, SOURCE)
    start = datetime.combine(since, time())
    end = datetime.combine(until + timedelta(days=1), time())
    report = replay(db, drafts, start, end, config, with_published=True)  # added to the profiles in force
    if report is None:
        return None
    lanes = records(report.lanes())
    for row in lanes:
        row["over_capacity"] = row["capacity"] is not None and row["draft"] > row["capacity"]
    changes = report.changes()
    return {
        "since": since, "until": until, "declarations": int(report.draft["declaration_id"].nunique()),
        "drafts": [{"profile_id": p.profile_id, "lane": p.lane, "mode": p.mode, "criteria": p.describe()}
                   for p in drafts],
        "lanes": lanes,
        "metrics": records(report.metrics(), rename=METRIC_NAMES),
        "changes": [{"published": lane, **{str(k): int(v) for k, v in row.items()}}
                    for lane, row in changes.iterrows()],
        "change_lanes": [str(c) for c in changes.columns],
        "profiles": records(report.profiles(), rename=DRAFT_NAMES),
    }


# --- models -------------------------------------------------------------------------------------------------------


def model_rows(db: Engine) -> list[dict]:
    """The registry, newest first: id, label, status, created (at, by), training window, features, metrics."""
    rows = records(targeting.list_models(db))
    for row in rows:
        row["feature_count"] = len(row.get("features") or [])
        row["metrics"] = json_ready(row.get("metrics") or {})
    return rows[::-1]


def rollback_target(db: Engine) -> str | None:
    return targeting.rollback_target(db)


def model_events(db: Engine, limit: int = 50) -> list[dict]:
    return records(targeting.events(db))[::-1][:limit]


def drift(db: Engine) -> dict:
    """PSI of the champion's inputs and score, its training window against the declarations since its end (as
    ``smartcustoms models drift``). RegistryError without a champion (or with a changed artifact); a dict with
    ``rows`` empty when there is nothing to compare."""
    found = targeting.drift(db)
    row, report = found["model"], found["report"]
    result = {"model_id": row["model_id"], "label": row["label"], "since": None, "train": 0, "recent": 0,
              "rows": [], "significant": 0, "moderate": 0}
    if not found["declarations"]:
        return result
    result.update(since=plain(found["since"]), train=found["train"], recent=found["recent"])
    if report is None:
        return result
    counts = report["drift"].value_counts()
    result.update(rows=records(report.head(DRIFT_TOP + 1)), significant=int(counts.get("significant drift", 0)),
                  moderate=int(counts.get("moderate", 0)))
    return result


# --- KPIs ---------------------------------------------------------------------------------------------------------


def kpi_office(user: User, office: str | None, loc: tuple = ()) -> str | None:
    """The office whose KPIs the user reads: any (or all) for analysts, supervisors and admins; for an officer
    one of their offices (by default the first), never another's."""
    office = (office or "").strip() or None
    if user.role != "officer":
        return office
    if office is None:
        if not user.office_ids:
            raise Forbidden(f"{user.username} is bound to no office: no KPIs to read")
        return user.office_ids[0]
    if office not in user.office_ids:
        raise Forbidden(f"{user.username} reads the KPIs of offices {', '.join(user.office_ids)} only")
    return office


def offices(db: Engine, user: User) -> list[str]:
    """The offices to choose from in the KPI filter."""
    if user.role == "officer":
        return list(user.office_ids)
    return control_service.kpi_offices(db)


def kpi_frames(db: Engine, since: date | None, until: date | None, office: str | None) -> dict:
    """The KPI inputs (``control.kpi_data.load_kpi_frames``) and every summary table (``control.kpis.summary``).
    KpiError for an empty period."""
    frames = control_service.kpi_frames(db, since, until, office)
    return {"frames": frames, "tables": control_service.kpi_tables(frames)}


def kpi_tables(tables: dict[str, pd.DataFrame]) -> dict[str, list[dict]]:
    return {name: records(frame) for name, frame in tables.items()}


def chart(name: str, frames: dict, tables: dict, currency: str) -> bytes:
    """One KPI chart as SVG bytes (KeyError for an unknown name)."""
    return control_service.kpi_chart(name, frames, tables, "svg", currency=currency)


def chart_alt(name: str, tables: dict[str, pd.DataFrame], gettext, locale: str, currency: str) -> str:
    """The text alternative of a chart: what it shows and its main figures, in the reader's language."""

    def pct(value) -> str:
        return "–" if value is None or pd.isna(value) else format_percent(value, "#,##0.0%", locale=locale)

    def num(value, digits: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return "–" if value is None or pd.isna(value) else format_decimal(value, pattern, locale=locale)

    def word(codes: dict, code) -> str:
        return gettext(codes[code]) if code in codes else str(code)

    title = gettext(CHART_TITLES[name])
    figures = ""
    if name == "hit_rates":
        rows = tables["hit_rates"]
        parts = [gettext("%(source)s %(rate)s (controls: %(controls)s)") % {
            "source": word(SOURCES, r.source), "rate": pct(r.hit_rate), "controls": num(r.controls)}
            for r in rows.itertuples() if r.controls]
        figures = "; ".join(parts)
    elif name == "lanes_per_day":
        rows = tables["lanes_per_day"]
        days = rows["day"].nunique() if len(rows) else 0
        totals = rows.groupby("lane")["declarations"].sum() if len(rows) else pd.Series(dtype=int)
        parts = [f"{word(LANE_NAMES, lane)} {num(totals[lane])}" for lane in ordered(totals.index, LANES)]
        figures = (gettext("Over %(days)s days, in all: %(lanes)s") % {"days": num(days), "lanes": ", ".join(parts)}
                   if parts else "")
    elif name == "release_times":
        rows = tables["release_times"]
        rows = rows[(rows["office_id"] == ALL) & (rows["lane"] != ALL)]
        parts = [gettext("%(lane)s %(hours)s h") % {"lane": word(LANE_NAMES, r.lane),
                                                     "hours": num(r.lodgement_to_release_median_h, 1)}
                 for r in rows.itertuples() if pd.notna(r.lodgement_to_release_median_h)]
        figures = gettext("Median time from lodgement to release: %(lanes)s") % {"lanes": ", ".join(parts)} \
            if parts else ""
    elif name == "revenue":
        rows = tables["revenue_by_source"]
        total = rows[rows["source"] == ALL]
        duty = float(total["duty_recovered"].iloc[0]) if len(total) else 0.0
        parts = [f"{word(SOURCES, r.source)} {num(r.duty_recovered)}" for r in rows.itertuples()
                 if r.source != ALL and r.duty_recovered]
        figures = gettext("In all %(total)s %(currency)s recovered") % {"total": num(duty), "currency": currency}
        if parts:
            figures += " (" + ", ".join(parts) + ")"
    elif name == "control_times":
        rows = tables["control_times"]
        parts = [gettext("%(mode)s %(hours)s h") % {"mode": word(CONTROL_MODES, r.mode),
                                                     "hours": num(r.scheduled_to_completed_median_h, 1)}
                 for r in rows.itertuples() if r.mode != ALL and pd.notna(r.scheduled_to_completed_median_h)]
        figures = gettext("Median: %(modes)s") % {"modes": ", ".join(parts)} if parts else ""
    if not figures:
        return gettext("%(title)s: no data for this period.") % {"title": title}
    return gettext("%(title)s. %(figures)s.") % {"title": title, "figures": figures}
