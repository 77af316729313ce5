"""The officer console: the work queue (by office, lane and state; "take next" locks a task to the officer), a
task's page (the declaration, why it was selected, the checklist, the history, the importer's earlier
declarations, evidence) with its forms (start, outcome, release, documents, valuation query, lane override), the
charts of the page, and the evidence files.

Every form carries the task's version: when someone else changed the task meanwhile, the page comes back as it
is now, with a message, and nothing is written."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from smartcustoms import charts, written
from smartcustoms.accounts.service import User
from smartcustoms.control import service as chain
from smartcustoms.control.service import ConflictError, ControlError, NotFoundError, OutcomeError, TransitionError
from smartcustoms.risk import service as audit
from smartcustoms.web import reason_words, words
from smartcustoms.web.deps import Db, require_page
from smartcustoms.web.errors import Forbidden, NotFound
from smartcustoms.web.i18n import N_, gettext, locale_of
from smartcustoms.web.officer import presenters as views
from smartcustoms.web.render import render

router = APIRouter(prefix="/officer", include_in_schema=False)
Console = Annotated[User, require_page(*views.CONSOLE_ROLES)]
Officer = Annotated[User, require_page("officer")]
Overrider = Annotated[User, require_page(*views.OVERRIDE_ROLES)]
PathId = Annotated[int, Path(ge=1, le=views.MAX_ID)]

NOT_YOURS = N_("This task is not locked to you: take it from the queue first, or ask a supervisor.")
NO_DECISION = N_("This task has no lane decision to change.")
SAME_LANE = N_("The declaration is in this lane already.")

OUTCOME_FIELDS = {"expected_version": "text", "result": "text", "infringements": "list", "duty_before": "number",
                  "duty_after": "number", "seized": "flag", "offence_code": "text", "penalty": "number",
                  "note": "text", "confirm_change": "flag"}
START_FIELDS = {"expected_version": "text", "note": "text"}
RELEASE_FIELDS = {"expected_version": "text", "decision": "text", "note": "text"}
DOCUMENT_FIELDS = {"document_types": "list", "due_days": "text"}
QUERY_FIELDS = {"reasons_to_doubt": "text", "deadline_days": "text"}
DECIDE_FIELDS = {"query_id": "text", "expected_version": "text", "decision": "text", "adjusted_value": "number",
                 "confirm_change": "flag"}
OVERRIDE_FIELDS = {"lane": "text", "reason": "text"}


# --- the queue ----------------------------------------------------------------------------------------------------


def _queue_page(request: Request, user: User, db, *, office: str | None, lane: str | None, state: str, who: str,
                page: int, error: str | None = None, status_code: int = 200, q: str = "", sort: str = "due"):
    size = request.app.state.settings.page_size
    records = views.officer_records(db, user, create=True)
    rows, total = views.queue(db, user, office=office, lane=lane, state=state, who=who, records=records,
                              limit=size, offset=(page - 1) * size, q=q, sort=sort)
    return render(request, "officer/queue.html", {
        "rows": rows, "total": total, "page": page, "pages": max(1, -(-total // size)),
        "offices": views.queue_offices(db, user), "records": records,
        "filters": {"office": office or "", "lane": lane or "", "state": state, "who": who, "q": q, "sort": sort},
        "sorts": views.QUEUE_SORTS,
        "states": views.STATE_FILTERS, "empty": request.query_params.get("empty"), "error": error,
        "missing_records": [o for o in user.office_ids if o not in records] if user.role == "officer" else [],
        "views": views,
    }, status_code)


@router.get("/queue", name="officer_queue")
def work_queue(request: Request, user: Console, db: Db,
               office: Annotated[str | None, Query(max_length=20, pattern=r"^$|" + views.ID_PATTERN)] = None,
               lane: Annotated[Literal["red", "yellow", ""] | None, Query()] = None,
               state: Annotated[Literal[views.STATE_FILTERS], Query()] = "open",
               who: Annotated[Literal["all", "mine", "unassigned"], Query()] = "all",
               page: Annotated[int, Query(ge=1, le=100_000)] = 1,
               q: Annotated[str, Query(max_length=35)] = "",
               sort: Annotated[Literal[views.QUEUE_SORTS], Query()] = "due"):
    return _queue_page(request, user, db, office=office or None, lane=lane or None, state=state, who=who,
                       page=page, q=q, sort=sort)


EXPORT_LIMIT = 100_000
QUEUE_COLUMNS = ["task_id", "declaration_id", "office_id", "lane", "mode", "state", "officer_id", "due_at",
                 "source", "created_at"]


@router.get("/queue/export.{fmt}", name="officer_queue_export")
def queue_export(fmt: Literal["csv", "xlsx"], user: Console, db: Db,
                 office: Annotated[str | None, Query(max_length=20, pattern=r"^$|" + views.ID_PATTERN)] = None,
                 lane: Annotated[Literal["red", "yellow", ""] | None, Query()] = None,
                 state: Annotated[Literal[views.STATE_FILTERS], Query()] = "open",
                 who: Annotated[Literal["all", "mine", "unassigned"], Query()] = "all",
                 q: Annotated[str, Query(max_length=35)] = "",
                 sort: Annotated[Literal[views.QUEUE_SORTS], Query()] = "due"):
    """The queue as filtered, every row (not one page), as CSV or XLSX."""
    import pandas as pd

    from smartcustoms.exports import FORMATS, export

    records = views.officer_records(db, user)
    rows, _ = views.queue(db, user, office=office or None, lane=lane or None, state=state, who=who,
                          records=records, limit=EXPORT_LIMIT, offset=0, q=q, sort=sort)
    frame = pd.DataFrame([{name: row.get(name) for name in QUEUE_COLUMNS} for row in rows], columns=QUEUE_COLUMNS)
    return Response(export({"tasks": frame}, fmt), media_type=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="work-queue.{fmt}"',
                             "Cache-Control": "no-store"})


@router.post("/queue/next", name="officer_take_next")
async def take_next(request: Request, user: Officer, db: Db):
    form = await request.form()
    office = form.get("office") if isinstance(form.get("office"), str) and form.get("office") else None
    try:
        task = await run_in_threadpool(views.take_next, db, user, office)
    except ControlError as exc:  # no officer record, or an inactive one
        message = str(exc)
        return await run_in_threadpool(lambda: _queue_page(request, user, db, office=office, lane=None,
                                                           state="open", who="all", page=1, error=message,
                                                           status_code=409))
    except ValueError:
        return await run_in_threadpool(lambda: _queue_page(
            request, user, db, office=None, lane=None, state="open", who="all", page=1,
            error=N_("Choose one of your offices."), status_code=422))
    if task is None:
        target = request.app.url_path_for("officer_queue")
        return RedirectResponse(f"{target}?empty={office or user.office_ids[0]}", 303)
    target = request.app.url_path_for("officer_task", task_id=str(task.task_id))
    return RedirectResponse(f"{target}?done=taken", 303)


# --- a task's page ------------------------------------------------------------------------------------------------


def _task_or_404(db, user: User, task_id: int):
    task = views.visible_task(db, user, task_id)
    if task is None:
        raise NotFound(f"no inspection task {task_id}")
    return task


def _task_page(request: Request, user: User, db, task_id: int, *, errors: dict | None = None,
               values: dict | None = None, conflict: bool = False, status_code: int = 200):
    task = _task_or_404(db, user, task_id)
    context = views.task_context(request.app, db, user, task)
    done = request.query_params.get("done") if status_code == 200 else None
    return render(request, "officer/task.html", {
        **context, "errors": errors or {}, "values": values or {}, "conflict": conflict,
        "done": views.DONE.get(done) if done else None, "views": views,
        "release_choices": views.next_decisions(task.state),
    }, status_code)


@router.get("/tasks/{task_id}", name="officer_task")
def task_page(request: Request, task_id: PathId, user: Console, db: Db):
    return _task_page(request, user, db, task_id)


async def _posted(request: Request, user: User, db, task_id: int, *, work: bool = True):
    """The posted form, the task, and who acts (the task's officer, a supervisor or admin); 404 for a task the
    user may not see, 403 for one that is not the user's to work."""
    form = await request.form()

    def find():
        task = _task_or_404(db, user, task_id)
        records = views.officer_records(db, user, create=True)
        actor = views.acting_as(user, task, records) if work else views.overrider(user, task.office_id, records)
        return task, actor

    task, actor = await run_in_threadpool(find)
    if actor is None:
        raise Forbidden(NOT_YOURS)
    return form, task, actor


def _done(request: Request, task_id: int, what: str) -> RedirectResponse:
    target = request.app.url_path_for("officer_task", task_id=str(task_id))
    return RedirectResponse(f"{target}?done={what}#top", 303)


async def _read(request: Request, user: User, db, task_id: int, name: str, fields, model, *, work: bool = True):
    """The posted form of `name` checked against `model`: (task, actor, values, data); or, when a field is
    wrong, the task page with the errors next to the fields (422) to answer with."""
    form, task, actor = await _posted(request, user, db, task_id, work=work)
    values = views.form_values(form, fields)
    # numbers as the user's locale writes them ("24,500" in English is 24500; ambiguous ones are refused)
    formats = written.format_locale(locale_of(request), request.headers.get("accept-language"))
    read, ambiguous = views.read_numbers(values, fields, formats)
    try:
        data = model.model_validate(views.model_data(read, fields))
    except ValidationError as exc:  # every problem at once, an ambiguous number's among them
        return await _again(request, user, db, task_id, name, values, {**views.field_errors(exc), **ambiguous})
    if ambiguous:
        return await _again(request, user, db, task_id, name, values, ambiguous)
    return task, actor, values, data


async def _again(request: Request, user: User, db, task_id: int, name: str, values: dict, errors: dict[str, str],
                 status_code: int = 422):
    return await run_in_threadpool(lambda: _task_page(request, user, db, task_id, errors={name: errors},
                                                      values={name: values}, status_code=status_code))


async def _conflict(request: Request, user: User, db, task_id: int):
    return await run_in_threadpool(lambda: _task_page(request, user, db, task_id, conflict=True, status_code=409))


async def _step(request: Request, user: User, db, task_id: int, name: str, values: dict, action,
                default_field: str = "form"):
    """Run a step of the control chain for a form: None when done; else the page to answer with (a conflict
    reloads the task; a refusal shows its message by its field)."""
    try:
        await run_in_threadpool(action)
    except (ConflictError, chain.QueryConflictError):
        return await _conflict(request, user, db, task_id)
    except NotFoundError as exc:
        raise NotFound(str(exc)) from exc
    except (OutcomeError, chain.QueryError, audit.OverrideError, ControlError) as exc:
        field, text = words.refusal(exc, default_field)
        status = 409 if isinstance(exc, TransitionError) else 422
        return await _again(request, user, db, task_id, name, values, {field: text}, status)
    return None


@router.post("/tasks/{task_id}/take", name="officer_task_take")
async def take_this(request: Request, task_id: PathId, user: Console, db: Db):
    """"Take this task" (an officer of its office) or assign it to an officer (a supervisor or admin)."""
    form = await request.form()
    officer_id, version = form.get("officer_id"), form.get("expected_version")
    if not isinstance(officer_id, str) or not isinstance(version, str) or not version.isdigit():
        return await _again(request, user, db, task_id, "take", {}, {"officer_id": N_("Choose an officer.")})
    await run_in_threadpool(lambda: _task_or_404(db, user, task_id))
    try:
        await run_in_threadpool(views.lock_to, db, user, task_id, officer_id, int(version))
    except (ConflictError, TransitionError):
        return await _conflict(request, user, db, task_id)
    except ValueError:
        raise Forbidden(NOT_YOURS) from None
    return _done(request, task_id, "taken")


@router.post("/tasks/{task_id}/book", name="officer_task_book")
async def book_for_trader(request: Request, task_id: PathId, user: Console, db: Db):
    """Book an inspection slot on the trader's behalf (the trader asked by phone, or cannot use the portal)."""
    form, task, actor = await _posted(request, user, db, task_id)
    slot = form.get("slot_id")
    if not isinstance(slot, str) or not slot.isdigit():
        return await _again(request, user, db, task_id, "book", {}, {"slot_id": N_("Choose a slot.")})
    failed = await _step(request, user, db, task_id, "book", {"slot_id": slot}, lambda: chain.book(
        db, task_id, int(slot), booked_by=f"{actor} (for the trader)"), default_field="slot_id")
    return failed or _done(request, task_id, "booked")


@router.post("/tasks/{task_id}/start", name="officer_task_start")
async def start(request: Request, task_id: PathId, user: Console, db: Db):
    read = await _read(request, user, db, task_id, "start", START_FIELDS, views.StartIn)
    if not isinstance(read, tuple):  # the form had errors: the page shows them
        return read
    task, actor, values, data = read
    failed = await _step(request, user, db, task_id, "start", values, lambda: chain.transition(
        db, task_id, "in_progress", actor=actor, expected_version=data.expected_version, note=data.note or None))
    return failed or _done(request, task_id, "started")


@router.post("/tasks/{task_id}/complete", name="officer_task_complete")
async def complete(request: Request, task_id: PathId, user: Console, db: Db):
    read = await _read(request, user, db, task_id, "complete", OUTCOME_FIELDS, views.OutcomeIn)
    if not isinstance(read, tuple):  # the form had errors: the page shows them
        return read
    task, actor, values, data = read
    confirm = views.outcome_confirmation(data)
    if confirm is not None:  # a change this large (or none with a discrepancy) is confirmed first
        return await _again(request, user, db, task_id, "complete", values, {"confirm_change": confirm})
    failed = await _step(request, user, db, task_id, "complete", values, lambda: chain.complete(
        db, task_id, actor=actor, expected_version=data.expected_version, result=data.result,
        infringements=data.infringements, duty_before=data.duty_before, duty_after=data.duty_after,
        seized=data.seized, offence_code=data.offence_code, penalty=data.penalty, note=data.note or None))
    return failed or _done(request, task_id, "completed")


@router.post("/tasks/{task_id}/release", name="officer_task_release")
async def release(request: Request, task_id: PathId, user: Console, db: Db):
    read = await _read(request, user, db, task_id, "release", RELEASE_FIELDS, views.ReleaseIn)
    if not isinstance(read, tuple):  # the form had errors: the page shows them
        return read
    task, actor, values, data = read
    failed = await _step(request, user, db, task_id, "release", values, lambda: chain.release(
        db, task_id, actor=actor, expected_version=data.expected_version, decision=data.decision,
        note=data.note or None), default_field="decision")
    return failed or _done(request, task_id, data.decision)


@router.post("/tasks/{task_id}/documents", name="officer_task_documents")
async def request_documents(request: Request, task_id: PathId, user: Console, db: Db):
    read = await _read(request, user, db, task_id, "documents", DOCUMENT_FIELDS, views.DocumentsIn)
    if not isinstance(read, tuple):  # the form had errors: the page shows them
        return read
    task, actor, values, data = read
    failed = await _step(request, user, db, task_id, "documents", values, lambda: chain.request_documents(
        db, task.declaration_id, list(data.document_types), requested_by=actor, due_in=views.days(data.due_days),
        task_id=task_id), default_field="document_types")
    return failed or _done(request, task_id, "documents")


@router.post("/tasks/{task_id}/valuation-query", name="officer_task_query")
async def raise_query(request: Request, task_id: PathId, user: Console, db: Db):
    read = await _read(request, user, db, task_id, "query", QUERY_FIELDS, views.QueryIn)
    if not isinstance(read, tuple):  # the form had errors: the page shows them
        return read
    task, actor, values, data = read
    failed = await _step(request, user, db, task_id, "query", values, lambda: chain.raise_valuation_query(
        db, task.declaration_id, reasons_to_doubt=data.reasons_to_doubt, raised_by=actor,
        deadline_days=data.deadline_days, task_id=task_id), default_field="reasons_to_doubt")
    return failed or _done(request, task_id, "query")


@router.post("/tasks/{task_id}/valuation-query/decide", name="officer_task_decide")
async def decide_query(request: Request, task_id: PathId, user: Console, db: Db):
    read = await _read(request, user, db, task_id, "decide", DECIDE_FIELDS, views.DecideIn)
    if not isinstance(read, tuple):  # the form had errors: the page shows them
        return read
    task, actor, values, data = read
    known = await run_in_threadpool(lambda: chain.queries_frame(db, task.declaration_id))
    if data.query_id not in set(known["query_id"]):
        raise NotFound(f"no valuation query {data.query_id} for declaration {task.declaration_id}")
    declared = await run_in_threadpool(lambda: views.declared_value(db, task.declaration_id))
    confirm = views.value_confirmation(data, declared)
    if confirm is not None:
        return await _again(request, user, db, task_id, "decide", values, {"confirm_change": confirm})
    failed = await _step(request, user, db, task_id, "decide", values, lambda: chain.decide_valuation_query(
        db, data.query_id, decision=data.decision, decided_by=actor, adjusted_value=data.adjusted_value,
        expected_version=data.expected_version), default_field="decision")
    return failed or _done(request, task_id, "decided")


@router.post("/tasks/{task_id}/override", name="officer_task_override")
async def override(request: Request, task_id: PathId, user: Overrider, db: Db):
    read = await _read(request, user, db, task_id, "override", OVERRIDE_FIELDS, views.OverrideIn, work=False)
    if not isinstance(read, tuple):  # the form had errors: the page shows them
        return read
    task, actor, values, data = read

    def change() -> dict | None:
        """None when done, else the problem by field."""
        found = views.visible_decision(db, user, task.decision_id) if task.decision_id else None
        if found is None:
            return {"form": NO_DECISION}
        if found["final_lane"] == data.lane:
            return {"lane": SAME_LANE}
        try:
            audit.override(db, found["latest_decision_id"], data.lane, data.reason, actor)
        except audit.OverrideError as exc:
            return dict([words.refusal(exc, "reason")])
        return None

    problem = await run_in_threadpool(change)
    if problem:
        return await _again(request, user, db, task_id, "override", values, problem)
    return _done(request, task_id, "override")


# --- charts and evidence --------------------------------------------------------------------------------------------

SVG = "image/svg+xml"


def _svg(data: bytes) -> Response:
    return Response(data, media_type=SVG, headers={"Cache-Control": "no-store"})


@router.get("/tasks/{task_id}/contributions.svg", name="officer_chart_contributions")
def contributions_chart(request: Request, task_id: PathId, user: Console, db: Db):
    task = _task_or_404(db, user, task_id)
    found = views.model_contributions(request.app, db, task.declaration_id)
    title = gettext(request, N_("What moved the targeting model's score"))
    xlabel = gettext(request, N_("contribution to the model's raw score (log-odds)"))
    if found is None or found["error"]:
        return _svg(charts.no_data(title, "svg", xlabel))
    return _svg(charts.contributions_chart(
        views.contribution_series(found), title=title, xlabel=xlabel,
        raises_label=gettext(request, N_("raises the risk")), lowers_label=gettext(request, N_("lowers the risk"))))


@router.get("/tasks/{task_id}/items/{item_number}/unit-price.svg", name="officer_chart_unit_price")
def unit_price_chart(request: Request, task_id: PathId, item_number: PathId, user: Console, db: Db):
    task = _task_or_404(db, user, task_id)
    bands = views.price_bands(request.app, db, task.declaration_id)
    item = next((i for i in bands["items"] if i["item_number"] == item_number), None)
    if item is None:
        raise NotFound(f"no goods item {item_number} with a reference price")
    title = gettext(request, N_("Item %(number)d: declared unit price against the reference band")) % {
        "number": item_number}
    # the unit and the numbers in the reader's words and locale: EUR/article, P10 51,55 in French
    unit = f"{item['currency']}/{reason_words.unit_words(item['quantity_unit'], lambda m: gettext(request, m))}"
    return _svg(charts.unit_price_band_chart(
        item["declared"], item["p10"], item["p90"], item["median"], title=title,
        locale=written.format_locale(locale_of(request), request.headers.get("accept-language")),
        xlabel=gettext(request, N_("unit price (%(unit)s)")) % {"unit": unit},
        band_label=gettext(request, N_("reference band (P10 to P90)")),
        median_label=gettext(request, N_("reference median")),
        declared_label=gettext(request, N_("declared unit price"))))


@router.get("/evidence/{evidence_id}", name="officer_evidence")
def evidence_file(evidence_id: PathId, request: Request, user: Console, db: Db):
    record = views.visible_evidence(db, user, evidence_id)
    if record is None:
        raise NotFound(f"no evidence {evidence_id}")
    folder = request.app.state.settings.var_dir / "evidence"
    try:
        record, data = chain.read_evidence(db, folder, evidence_id)
    except chain.EvidenceError as exc:
        raise NotFound(str(exc)) from exc
    return Response(data, media_type=record.content_type, headers={
        "Content-Disposition": views.evidence_disposition(record), "Cache-Control": "private, no-store",
        "X-Checksum-SHA256": record.sha256})


@router.get("/queue/next", include_in_schema=False)
def queue_again(request: Request, user: Console):
    """The take-next form's address opened directly (the language switch of a page answered to a post)."""
    query = request.url.query
    return RedirectResponse(request.app.url_path_for("officer_queue") + (f"?{query}" if query else ""), 303)


@router.get("/tasks/{task_id}/{action:path}", include_in_schema=False)
def task_again(request: Request, task_id: PathId, action: str, user: Console):
    """A task form's address opened directly (the language switch of a page answered to a post): the task."""
    query = request.url.query
    target = request.app.url_path_for("officer_task", task_id=str(task_id))
    return RedirectResponse(target + (f"?{query}" if query else ""), 303)
