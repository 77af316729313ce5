"""The officer console's reads, its input schemas and its presentation helpers; the control chain itself lives in
``smartcustoms.control`` and the risk engine in ``smartcustoms.risk`` / ``smartcustoms.targeting``: this module
only reads them, and puts their answers into words and charts.

Who is who. A web user of role officer works as **officer records** (the ``officers`` table that assignment and
``take_next`` use), one per office it is bound to: ``<username>`` when it is bound to one office, else
``<username>@<office>`` (also when a record ``<username>`` exists at another office). The console creates the
missing records on the first visit, qualified for physical, documentary and remote controls; a record that exists
already (for instance added with ``smartcustoms control officers add``) is used as it is, with its modes and its
active flag.

Permissions (besides the role checks of the routes): a task, an outcome or a decision is visible when its
declaration is (``scoped.visible_to``: an officer sees its offices, supervisors and admins all); an officer works
(start, complete, release, documents, valuation queries) only the tasks locked to one of its records, supervisors
and admins every visible task; overriding a lane is open to the officers of the declaration's office, supervisors
and admins.
"""

import json
import logging
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Literal

import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from smartcustoms import written
from smartcustoms.accounts.service import User
from smartcustoms.control import service as control_service
from smartcustoms.control.service import DOCUMENT_TYPES, INFRINGEMENTS, ControlError, NotFoundError, Task
from smartcustoms.control.service import reads as control_reads
from smartcustoms.declarations.service import load_declarations
from smartcustoms.frames import records
from smartcustoms.refusals import Refusal
from smartcustoms.risk import service as risk_service
from smartcustoms.store.db import utc_now
from smartcustoms.targeting import service as targeting
from smartcustoms.web import words
from smartcustoms.web.forms import MESSAGES

# this area's words (web/words.py), by the names its code and templates use
SOURCES = words.OFFICER_SOURCES
MODES = words.OFFICER_MODES
INFRINGEMENT_NAMES = words.OFFICER_INFRINGEMENT_NAMES
DOCUMENT_NAMES = words.OFFICER_DOCUMENT_NAMES
REQUEST_STATES = words.OFFICER_REQUEST_STATES
QUERY_STATES = words.OFFICER_QUERY_STATES
RELEASE_NAMES = words.OFFICER_RELEASE_NAMES
REFERENCE_LEVELS = words.OFFICER_REFERENCE_LEVELS
DONE = words.OFFICER_DONE
CONFLICT = words.OFFICER_CONFLICT
NUMBER_MESSAGES = words.OFFICER_NUMBER_MESSAGES
CONFIRM_DUTY = words.OFFICER_CONFIRM_DUTY
CONFIRM_SAME_DUTY = words.OFFICER_CONFIRM_SAME_DUTY
CONFIRM_VALUE = words.OFFICER_CONFIRM_VALUE
FIELD_MESSAGES = words.OFFICER_FIELD_MESSAGES
STALE_FORM = words.OFFICER_STALE_FORM

log = logging.getLogger(__name__)

CONSOLE_ROLES = ("officer", "supervisor", "admin")  # the officer console and the tasks API
OUTCOME_ROLES = ("officer", "analyst", "supervisor", "admin")  # the outcomes API
OVERRIDE_ROLES = ("officer", "supervisor", "admin")
TO_DO = ("created", "assigned", "scheduled", "in_progress")  # the control is still to be done: may be overdue
ACTIVE = (*TO_DO, "completed", "detained")  # the queue's default: everything not released or seized
STATE_FILTERS = ("open", "all", *control_service.STATES)
NEW_OFFICER_MODES = "physical,documentary,remote"
RELEASE_DECISIONS = ("released", "detained", "seized")
LANES = ("green", "blue", "yellow", "red")
TOP_CONTRIBUTIONS = 10



# --- input ----------------------------------------------------------------------------------------------------

MAX_ID = 2**31 - 1  # IDs and versions are 32-bit integers in the database
ID_PATTERN = r"^[A-Za-z0-9._/-]+$"  # declaration and office IDs (the declaration model's characters)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


def text(max_length: int, min_length: int | None = None):
    """A text field: at most `max_length` characters (at least `min_length`), no NUL character."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)]


Note = text(2000)


class Versioned(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    expected_version: int = Field(ge=1, le=MAX_ID, description="the task's version as read (optimistic locking)")


class StartIn(Versioned):
    note: Note | None = None


class OutcomeIn(Versioned):
    """The control's outcome: what `inspections.complete` records."""

    result: Literal["discrepancy", "no_discrepancy"]
    infringements: list[Literal[INFRINGEMENTS]] = Field(default_factory=list,
                                                        description="required with a discrepancy")
    duty_before: float = Field(ge=0, allow_inf_nan=False, description="duty as declared (national currency)")
    duty_after: float = Field(ge=0, allow_inf_nan=False, description="duty after the control")
    seized: bool = False
    offence_code: text(20) | None = None
    penalty: float | None = Field(None, ge=0, allow_inf_nan=False)
    note: Note | None = None
    confirm_change: bool = False  # the officer confirms a change the page asked about (confirmation_needed)


class ReleaseIn(Versioned):
    decision: Literal[RELEASE_DECISIONS] = "released"
    note: Note | None = None


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    lane: Literal[LANES]
    reason: text(2000, 5) = Field(description="why the lane changes (recorded for audit)")


class NextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office: str | None = Field(None, max_length=20, pattern=ID_PATTERN, description="the office whose queue to "
                               "take from (needed when the officer works at several)")


class DocumentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_types: list[Literal[DOCUMENT_TYPES]] = Field(min_length=1)
    due_days: int = Field(5, ge=1, le=60)


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reasons_to_doubt: text(4000, 1)
    deadline_days: int = Field(10, ge=1, le=60)


class DecideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query_id: int = Field(ge=1, le=MAX_ID)
    expected_version: int = Field(ge=1, le=MAX_ID)
    decision: Literal["accept", "adjust"]
    adjusted_value: float | None = Field(None, gt=0, allow_inf_nan=False)
    confirm_change: bool = False


# --- reading a posted form --------------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f]")


CONFIRM_FACTOR = 3.0  # an adjustment changing a value or duty by more than this factor is confirmed first


def read_numbers(values: dict, fields: dict[str, str], locale: str) -> tuple[dict, dict[str, str]]:
    """The form's values with their number fields read as the user's locale writes numbers (written.read_amount:
    "24,500" is 24500 in English, ambiguous in French), as plain decimals; and the ambiguous ones, with what to
    tell the officer. What is no number at all stays as typed, for the model to refuse ("Enter a number.")."""
    out, errors = dict(values), {}
    for name, kind in fields.items():
        if kind != "number" or not values.get(name):
            continue
        try:
            out[name] = str(written.read_amount(values[name], locale, field=name))
        except Refusal as refusal:
            if refusal.code == "number_ambiguous":
                errors[name] = NUMBER_MESSAGES["number_ambiguous"]
    return out, errors


def outcome_confirmation(data: "OutcomeIn") -> str | None:
    """What the officer must confirm before an outcome is recorded, or None."""
    if data.confirm_change or data.result != "discrepancy" or not data.infringements:
        return None  # nothing to confirm, or the control chain refuses it anyway (and says why)
    if written.change_factor(data.duty_before, data.duty_after) > CONFIRM_FACTOR:
        return CONFIRM_DUTY
    if data.result == "discrepancy" and data.duty_after == data.duty_before and not data.penalty and not data.seized:
        return CONFIRM_SAME_DUTY
    return None


def value_confirmation(data: "DecideIn", declared_value: float | None) -> str | None:
    if data.confirm_change or data.decision != "adjust" or data.adjusted_value is None or not declared_value:
        return None
    return CONFIRM_VALUE if written.change_factor(declared_value, data.adjusted_value) > CONFIRM_FACTOR else None


def declared_value(db: Engine, declaration_id: str) -> float | None:
    """The declaration's customs value (the sum of its items')."""
    try:
        value, _ = control_service.declared_duty(db, declaration_id)
    except control_service.QueryError:  # no goods items (or no such declaration)
        return None
    return value


def number_text(value: str | None) -> str | None:
    """A number as typed (``1 234,50`` or ``1234.50``) in the form pydantic reads; None when empty."""
    value = _SPACES.sub("", value or "")
    if not value:
        return None
    return value.replace(",", ".") if "," in value and "." not in value else value


def form_values(form, fields: dict[str, str]) -> dict:
    """Form field -> its text, stripped; `fields` maps names to text, number, list (every value) or flag (ticked)."""
    values = {}
    for name, kind in fields.items():
        if kind == "list":
            values[name] = [v for v in form.getlist(name) if isinstance(v, str)]
        elif kind == "flag":
            values[name] = form.get(name) in ("yes", "on", "true", "1")
        else:
            raw = form.get(name)
            values[name] = raw.strip() if isinstance(raw, str) else ""
    return values


def model_data(values: dict, fields: dict[str, str], rename: dict[str, str] | None = None) -> dict:
    """The values for a pydantic model: empty fields left out (a required one reads as missing), numbers read."""
    data = {}
    for name, kind in fields.items():
        value = values.get(name)
        if kind == "number":
            value = number_text(value)
        if value in (None, "") and kind != "flag":
            continue
        data[(rename or {}).get(name, name)] = value
    return data


VERSION_FIELDS = ("expected_version", "query_id")


def field_errors(exc: ValidationError, rename: dict[str, str] | None = None) -> dict[str, str]:
    """Form field -> the message of its first problem; a broken hidden field (the version) goes under ``form``."""
    back = {model: form for form, model in (rename or {}).items()}
    out: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "form"
        if name in VERSION_FIELDS:
            out.setdefault("form", STALE_FORM)
            continue
        message = FIELD_MESSAGES.get((name, error["type"])) or MESSAGES.get(error["type"])
        out.setdefault(back.get(name, name), message or error["msg"].removeprefix("Value error, "))
    return out


# --- officer records ----------------------------------------------------------------------------------------------


def officer_records(db: Engine, user: User, *, create: bool = False) -> dict[str, str]:
    """office -> the officer record the user works as there (see the module docstring); with `create`, the
    missing records are added first. Empty for other roles."""
    if user.role != "officer" or not user.office_ids:
        return {}
    single = len(user.office_ids) == 1
    names = {office: [user.username, f"{user.username}@{office}"] for office in user.office_ids}
    wanted = sorted({name for pair in names.values() for name in pair})

    def read() -> tuple[dict[str, str], dict[str, str]]:
        rows = control_reads.officer_offices(db, wanted)
        found = {office: next((n for n in pair if rows.get(n) == office), None) for office, pair in names.items()}
        return {office: name for office, name in found.items() if name}, rows

    found, rows = read()
    missing = [office for office in user.office_ids if office not in found]
    if not create or not missing:
        return found
    new = []
    for office in missing:
        name = user.username if single and user.username not in rows else f"{user.username}@{office}"
        if name in rows or len(name) > control_reads.OFFICER_ID_LENGTH:
            log.warning("no officer record can be made for %s at %s (%s is taken or too long)", user.username,
                        office, name)
            continue
        new.append({"officer_id": name, "name": user.username, "office_id": office, "modes": NEW_OFFICER_MODES})
    if new:
        try:
            control_service.add_officers(db, pd.DataFrame(new))
        except (ControlError, IntegrityError):  # made elsewhere at the same moment: read what is there
            log.info("officer records of %s were being made elsewhere", user.username)
    return read()[0]


def acting_as(user: User, task: Task, records: dict[str, str]) -> str | None:
    """Who works the task, as recorded: the officer record it is locked to, or the supervisor or admin; None when
    the user may only read it."""
    if user.role in ("supervisor", "admin"):
        return user.username
    if user.role == "officer":
        record = records.get(task.office_id)
        return record if record is not None and task.officer_id == record else None
    return None


def overrider(user: User, office_id: str, records: dict[str, str]) -> str | None:
    """Who overrides a lane at an office, as recorded; None when the user may not."""
    if user.role in ("supervisor", "admin"):
        return user.username
    if user.role == "officer" and office_id in user.office_ids:
        return records.get(office_id) or user.username
    return None


# --- tasks --------------------------------------------------------------------------------------------------------


def overdue(task: dict | Task, now: datetime | None = None) -> bool:
    """Still to do and past its due time."""
    state, due = (task["state"], task["due_at"]) if isinstance(task, dict) else (task.state, task.due_at)
    return state in TO_DO and due is not None and due < (now or utc_now())


def task_dict(task: Task, now: datetime | None = None) -> dict:
    return {**asdict(task), "reasons": list(task.reasons), "checklist": list(task.checklist),
            "overdue": overdue(task, now)}


def visible_task(db: Engine, user: User, task_id: int) -> Task | None:
    """The task if the user may see its declaration; None otherwise (or when there is no such task)."""
    try:
        task = control_service.get_task(db, task_id)
    except NotFoundError:
        return None
    seen = control_reads.visible_declaration(db, user, task.declaration_id)
    return task if seen is not None else None


QUEUE_SORTS = ("due", "declaration", "lane", "state", "office")


def queue(db: Engine, user: User, *, office: str | None = None, lane: str | None = None, state: str = "open",
          who: str = "all", records: dict[str, str] | None = None, limit: int = 50,
          offset: int = 0, q: str | None = None, sort: str = "due") -> tuple[list[dict], int]:
    """A page of the tasks the user may see, most urgent first (due time, then ID) or by `sort` (QUEUE_SORTS,
    then due time), and their total.

    state: open (not released or seized), all, or one state; who: all, mine (locked to the user's records) or
    unassigned; q: a declaration ID (or its beginning), an importer or declarant ID."""
    states = ACTIVE if state == "open" else None if state == "all" else (state,)
    now = utc_now()
    rows, total = control_reads.task_queue(
        db, user, office=office, lane=lane, states=states,
        mine=list((records or {}).values()) if who == "mine" else None, unassigned=who == "unassigned", q=q,
        sort=sort, limit=limit, offset=offset)
    out = []
    for values in rows:
        values["reasons"] = json.loads(values["reasons"])
        values["checklist"] = json.loads(values["checklist"])
        values["overdue"] = overdue(values, now)
        out.append(values)
    return out, total


def queue_offices(db: Engine, user: User) -> list[str]:
    """The offices to filter the queue by: an officer's own, else every office with a task."""
    if user.role == "officer":
        return list(user.office_ids)
    return control_reads.task_offices(db)


def take_next(db: Engine, user: User, office: str | None) -> Task | None:
    """The user's next task (`inspections.take_next` for its record at `office`, or at its only office).
    Raises ValueError naming what is wrong with `office`; NotFoundError when it has no officer record there."""
    records = officer_records(db, user, create=True)
    if office is None:
        if len(user.office_ids) != 1:
            raise ValueError("name the office: you work at " + ", ".join(user.office_ids))
        office = user.office_ids[0]
    if office not in user.office_ids:
        raise ValueError(f"you do not work at office {office}")
    record = records.get(office)
    if record is None:
        raise NotFoundError(f"no officer record for {user.username} at {office}")
    return control_service.take_next(db, record)


def history(db: Engine, task_id: int) -> list[dict]:
    return records(control_service.task_history(db, task_id))


def outcome_rows(db: Engine, user: User | None, *, declaration_id: str | None = None,
                 since: datetime | None = None, task_ids: list[int] | None = None, limit: int = 100,
                 offset: int = 0, with_total: bool = False):
    """Outcomes (newest first), of the declarations the user may see (all when `user` is None)."""
    rows, total = control_reads.outcome_page(db, user, declaration_id=declaration_id, since=since,
                                               task_ids=task_ids, limit=limit, offset=offset, with_total=with_total)
    out = [outcome_dict(row) for row in rows]
    return (out, total) if with_total else out


def outcome_dict(row) -> dict:
    values = dict(row)
    values["infringements"] = [kind for kind in (values.pop("infringement") or "").split(",") if kind]
    values["seized"] = bool(values.get("seized"))
    return values


def declared_duty(db: Engine, declaration_id: str) -> float | None:
    """The duty owed on the declared values (sum of value x rate): the outcome form's "duty before"."""
    try:
        value, rate = control_service.declared_duty(db, declaration_id)
    except control_service.QueryError:
        return None
    return round(value * rate / 100, 2)


# --- why it was selected, in words --------------------------------------------------------------------------------


def decision_of(db: Engine, decision_id: int | None) -> dict | None:
    if decision_id is None:
        return None
    return risk_service.decision(db, decision_id)


def why_selected(explanation: str | dict | None) -> dict:
    """The decision's explanation, ready for a page: lane, source, random, risk score, duty at risk, the profiles
    hit (id, version, lane asked, the criteria that matched), each screen (score, its share of the combined score,
    duty at risk, its reasons), the capacity note and what could not be checked (English notes, and codes for the
    reader's words)."""
    data = json.loads(explanation) if isinstance(explanation, str) else (explanation or {})
    screens = []
    for name, score in (data.get("scores") or {}).items():
        reasons = [part for part in (score.get("reason") or "").split(" | ") if part]
        screens.append({"name": name, "score": score.get("score"), "share": score.get("share"),
                        "duty_at_risk": score.get("duty_at_risk"),
                        "reasons": [r for r in reasons if not r.startswith("not checked")],
                        "not_checked": [r for r in reasons if r.startswith("not checked")],
                        "coded": score.get("reasons") or []})  # the same reasons as codes (newer decisions)
    screens.sort(key=lambda s: -(s["share"] or 0))
    return {"lane": data.get("lane"), "source": data.get("source"), "random": bool(data.get("random")),
            "risk_score": data.get("risk_score"), "duty_at_risk": data.get("duty_at_risk"),
            "profiles": list(data.get("profiles") or []), "shadow_profiles": list(data.get("shadow_profiles") or []),
            "screens": screens, "capacity": data.get("capacity") or "",
            "capacity_reason": data.get("capacity_reason"),
            "profile_checks": control_service.profile_checks(data),  # checklist line -> its profile hit
            "not_checked": [n for n in data.get("not_checked") or [] if n],
            "not_checked_reasons": data.get("not_checked_reasons") or []}  # the same notes as codes (newer ones)


def importer_history(db: Engine, user: User, declaration, limit: int = 20) -> dict:
    """The importer's other declarations lodged up to this one (those the user may see), newest first, with their
    lane, status and control outcomes; and the totals over all of them."""
    found = control_reads.importer_history(db, user, declaration, limit)
    return {**found, "rows": [{**row, "outcomes": [outcome_dict(o) for o in row["outcomes"]]}
                              for row in found["rows"]]}


# --- charts' data: unit price against its band, the model's contributions ---------------------------------------

_memo_lock = threading.Lock()
MEMO_SIZE = 64


def _memo(app, key: tuple, compute: Callable):
    """A small cache on the app (the risk engine's answers for a declaration cost up to a second)."""
    with _memo_lock:
        memo = getattr(app.state, "officer_memo", None)
        if memo is None:
            memo = app.state.officer_memo = OrderedDict()
        if key in memo:
            memo.move_to_end(key)
            return memo[key]
    value = compute()
    with _memo_lock:
        memo[key] = value
        while len(memo) > MEMO_SIZE:
            memo.popitem(last=False)
    return value


def _finite(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def price_bands(app, db: Engine, declaration_id: str) -> dict:
    """Per goods item: the declared unit price and the reference band (P10, median, P90, how many imports, which
    level) of the valuation screen in service now. ``available`` is False without a valuation screen."""
    state = app.state.risk
    engine = state.current()
    screen = engine.screens.get("valuation")
    if screen is None or not hasattr(screen, "reference_rows_"):
        return {"available": False, "items": []}

    def compute() -> dict:
        frame = load_declarations(db, ids=[declaration_id])
        if frame.empty:
            return {"available": True, "items": []}
        scored = screen.score(frame)
        items = []
        for (_, item), (_, score) in zip(frame.iterrows(), scored.iterrows()):
            unit = item["quantity_unit"]
            low, high, declared = (_finite(score[c]) for c in ("valuation_band_p10", "valuation_band_p90",
                                                                 "valuation_unit_value"))
            position = None
            if None not in (low, high, declared):
                position = "below" if declared < low else "above" if declared > high else "within"
            items.append({
                "item_number": int(item["item_number"]), "commodity_code": item["commodity_code"],
                "origin_country": item["origin_country"], "quantity_unit": unit,
                "currency": getattr(screen, "currency", "EUR"),
                "declared": declared, "median": _finite(score["valuation_reference_median"]), "p10": low, "p90": high,
                "n": int(score["valuation_reference_n"]) if _finite(score["valuation_reference_n"]) else 0,
                "level": score["valuation_reference_level"] or None, "position": position,
            })
        return {"available": True, "items": items}

    return _memo(app, ("bands", declaration_id, id(screen), state.fitted_at), compute)


def _model_screen(app, db: Engine) -> tuple[targeting.ModelScreen | None, str | None]:
    """The targeting model to explain with: the risk engine's own (in service), else the registry's champion
    fitted to the history the engine was fitted on; (None, None) when there is neither."""
    state = app.state.risk
    screen = state.current().screens.get("model")
    if screen is not None and getattr(screen, "model_", None) is not None:
        return screen, "engine"
    try:
        row, model = targeting.champion(db)
    except (targeting.RegistryError, OSError, ValueError) as exc:
        log.info("no champion model to explain with: %s", exc)
        return None, None

    def fit() -> targeting.ModelScreen:
        return targeting.champion_screen(db, model, as_of=state.as_of or utc_now())

    return _memo(app, ("champion", row["model_id"], state.fitted_at), fit), "champion"


def model_contributions(app, db: Engine, declaration_id: str, top: int = TOP_CONTRIBUTIONS) -> dict | None:
    """The targeting model's p(fraud) for the declaration and the contributions of its features (log-odds of
    the raw score, LightGBM's SHAP values), largest in size first; None when no model is available."""
    screen, origin = _model_screen(app, db)
    if screen is None:
        return None

    def compute() -> dict | None:
        frame = load_declarations(db, ids=[declaration_id])
        if frame.empty:
            return None
        model = screen.model_
        try:
            features = screen.features(frame)
            p_fraud = float(model.predict_proba(features)["p_fraud"].iloc[0])
            contributions = model.contributions(features).iloc[0]
        except Exception as exc:  # a model that does not fit this data: the page says so, and still shows
            log.exception("the targeting model could not explain declaration %s", declaration_id)
            return {"error": str(exc), "origin": origin, "version": screen.version, "items": []}
        bias = float(contributions.pop("bias"))
        biggest = contributions.abs().sort_values(ascending=False, kind="stable").index[:top]
        return {"error": None, "p_fraud": p_fraud, "bias": bias, "origin": origin, "version": screen.version,
                "raw_score": bias + float(contributions.sum()),
                "items": [{"feature": name, "words": targeting.plain_name(name), "value": float(contributions[name]),
                           "feature_value": _finite(features.iloc[0][name])} for name in biggest]}

    return _memo(app, ("contributions", declaration_id, id(screen), app.state.risk.fitted_at), compute)


def contribution_series(found: dict) -> pd.Series:
    return pd.Series({item["words"]: item["value"] for item in found["items"]}, dtype=float)


# --- everything a task page shows ---------------------------------------------------------------------------------


def task_context(app, db: Engine, user: User, task: Task) -> dict:
    """The task, its declaration and decision, why it was selected, the checks, the history, the importer's
    earlier declarations, evidence, documents and valuation queries, and what the user may do."""
    records_of = officer_records(db, user, create=True)
    detail = control_service.declaration_detail(db, user, task.declaration_id)
    decision = decision_of(db, task.decision_id)
    latest = risk_service.latest_decisions(db, ids=[task.declaration_id], by_declaration=True).get(
        task.declaration_id)
    requests = records(control_service.requests_frame(db, task.declaration_id))
    now = utc_now()
    for request in requests:
        request["overdue"] = request["state"] == "requested" and request["due_at"] is not None and \
            request["due_at"] < now
    open_queries = records(control_service.queries_frame(db, task.declaration_id))
    for query in open_queries:
        query["decidable"] = query["state"] in ("answered", "expired") or (
            query["state"] == "open" and query["deadline"] is not None and query["deadline"] < now)
    return {
        "task": task_dict(task, now), "detail": detail, "decision": decision,
        "why": why_selected(decision["explanation"] if decision else None),
        "latest_decision": latest, "history": history(db, task.task_id),
        "booking": control_service.booking_of(db, task.task_id),
        "evidence": records(control_service.evidence_frame(db, declaration_id=task.declaration_id)),
        "requests": requests, "queries": open_queries,
        "outcomes": outcome_rows(db, user, declaration_id=task.declaration_id),
        "importer": importer_history(db, user, detail["declaration"]) if detail else None,
        "duty_declared": declared_duty(db, task.declaration_id),
        "bands": price_bands(app, db, task.declaration_id),
        "model": model_contributions(app, db, task.declaration_id),
        "actor": acting_as(user, task, records_of),
        "overrider": overrider(user, task.office_id, records_of),
        "records": records_of,
        "takers": takers(db, user, task, records_of),
        "free_slots": slots_on_behalf(db, task),
    }


def slots_on_behalf(db: Engine, task: Task, limit: int = 12) -> list[dict]:
    """The free slots an officer may book for the trader (a physical or remote inspection, assigned, not booked):
    the earliest `limit` of its office and mode."""
    if task.state != "assigned" or task.mode not in control_service.SLOT_MODE:
        return []
    frame = control_service.free_slots(db, task.office_id, control_service.SLOT_MODE[task.mode], limit=limit)
    return records(frame)


def takers(db: Engine, user: User, task: Task, records_of: dict[str, str]) -> list[str]:
    """Who the user may lock a created or assigned task to from its page: an officer of its office themselves
    ("take this task"); a supervisor or admin any active officer of the office qualified for its mode."""
    if task.state not in ("created", "assigned"):
        return []
    if user.role == "officer":  # a created task only: another officer's is theirs
        record = records_of.get(task.office_id)
        return [record] if record is not None and task.state == "created" else []
    if user.role not in ("supervisor", "admin"):
        return []
    return sorted(officer_id for officer_id, modes in control_reads.active_officers(db, task.office_id)
                  if task.mode in modes.split(",") and officer_id != task.officer_id)


def lock_to(db: Engine, user: User, task_id: int, officer_id: str, expected_version: int) -> None:
    """Take a task (an officer, for themselves) or assign it (a supervisor or admin, to an officer of its
    office): the task is locked to that officer. ValueError when the user may not; ConflictError when the task
    changed meanwhile."""
    def check(task: Task) -> None:
        if officer_id not in takers(db, user, task, officer_records(db, user)):
            raise ValueError(f"{user.username} may not lock task {task_id} to {officer_id}")

    how = "took the task from its page" if user.role == "officer" else f"assigned by {user.username}"
    control_service.lock_task(db, task_id, officer_id, actor=user.username if user.role != "officer" else officer_id,
                              expected_version=expected_version, note=how, check=check)


def next_decisions(state: str) -> list[str]:
    """The release decisions open from a task's state (completed: all three; detained: released or seized)."""
    return [d for d in RELEASE_DECISIONS if d in control_service.TRANSITIONS.get(state, ())]


def evidence_disposition(record) -> str:
    """``inline`` for what a browser shows itself (photos, videos, PDF), else ``attachment``; with the file name."""
    kind = "inline" if record.content_type in ("image/jpeg", "image/png", "video/mp4", "video/webm",
                                               "application/pdf") else "attachment"
    return f'{kind}; filename="{record.filename}"'


def visible_evidence(db: Engine, user: User, evidence_id: int):
    """The evidence record if the user may see its declaration, else None."""
    try:
        record = control_service.get_evidence(db, evidence_id)
    except ControlError:
        return None
    seen = control_reads.visible_declaration(db, user, record.declaration_id)
    return record if seen is not None else None


def visible_decision(db: Engine, user: User, decision_id: int) -> dict | None:
    """A decision (declaration_id, lane, office) if the user may see its declaration, else None."""
    return control_reads.visible_decision(db, user, decision_id)


def days(value: int) -> timedelta:
    return timedelta(days=value)

