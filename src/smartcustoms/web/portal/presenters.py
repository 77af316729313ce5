"""What the trader portal shows of the control chain, and the steps it takes there: requested documents,
valuation queries to answer, the inspection (ask for a remote one, book a slot or cancel the booking, upload
evidence), promise-based release and the application-free services; the panel of these on a declaration's page,
and the "To do" page.

These presenters are shared by the pages (``pages.py``) and the API (``api.py``): each checks that the
declaration is the caller's (404 otherwise: ``scoped.visible_to``), calls the control domain, and turns its
refusals into WebErrors that carry the domain's message (for the API) and a translatable one (``say``, for
the pages). A refusal leaves the state as it was.
"""

import json
import mimetypes
from pathlib import Path

import pandas as pd
from fastapi import Request
from sqlalchemy import Engine

from smartcustoms.accounts.service import User
from smartcustoms.control import service as control_service
from smartcustoms.control.service import (
    KIND,
    ControlError,
    EvidenceError,
    EvidenceLimits,
    UndertakingError,
    evidence_frame,
    store_evidence,
)
from smartcustoms.control.service import reads as control_reads
from smartcustoms.control.service import undertakings as undertaking_service
from smartcustoms.declarations.schemas import Declaration
from smartcustoms.frames import records
from smartcustoms.risk.service import RiskConfig
from smartcustoms.store.db import utc_now
from smartcustoms.web import words
from smartcustoms.web.errors import Conflict, Invalid, NotFound, TooLarge, WebError
from smartcustoms.web.i18n import gettext

# this area's words (web/words.py), by the names its code and templates use
DOCUMENT_TYPES = words.PORTAL_DOCUMENT_TYPES
REQUEST_STATES = words.PORTAL_REQUEST_STATES
QUERY_STATES = words.PORTAL_QUERY_STATES
EVIDENCE_KINDS = words.PORTAL_EVIDENCE_KINDS
SLOT_MODES = words.PORTAL_SLOT_MODES
SERVICES = words.PORTAL_SERVICES
FINDINGS = words.PORTAL_FINDINGS
REFUSALS = words.PORTAL_REFUSALS
DONE = words.PORTAL_DONE
RESULTS = words.PORTAL_RESULTS
UNDERTAKING_TEXT = words.PORTAL_UNDERTAKING_TEXT
SAY = words.PORTAL_SAY

# --- words ------------------------------------------------------------------------------------------------------

WORDS = {"document_types": DOCUMENT_TYPES, "request_states": REQUEST_STATES, "query_states": QUERY_STATES,
         "evidence_kinds": EVIDENCE_KINDS, "slot_modes": SLOT_MODES, "services": SERVICES, "findings": FINDINGS,
         "refusals": REFUSALS, "results": RESULTS}


def refused(kind: type[WebError], message: str, say: str, *, loc=(), type_: str | None = None,
            target: str | None = None, **params) -> WebError:
    """A WebError with the domain's message (the API's ``msg``) and, for the pages, the key of a translated
    message (``say``, a SAY/REFUSALS key) with its parameters, and the form it concerns (``target``)."""
    if issubclass(kind, Invalid):
        error = kind([{"loc": list(loc), "msg": message, "type": type_ or "invalid"}])
    else:
        error = kind(message, loc=loc)
        if type_:
            error.type = type_
    error.say, error.params, error.target = say, params, target
    return error


def evidence_folder(request: Request) -> Path:
    return Path(request.app.state.settings.var_dir) / "evidence"


def evidence_limits(request: Request) -> EvidenceLimits:
    """The evidence rules' own limits, none above the server's upload limit (a larger body is refused anyway)."""
    cap = request.app.state.settings.upload_max_bytes
    return EvidenceLimits({kind: min(size, cap) for kind, size in EvidenceLimits().max_bytes.items()})


def risk_config(request: Request) -> RiskConfig:
    return request.app.state.risk.config


# --- reading ----------------------------------------------------------------------------------------------------


def own(db: Engine, user: User, declaration_id: str) -> dict:
    """The caller's declaration (ID, office, importer), or 404 when it is not theirs (or does not exist)."""
    row = control_reads.visible_declaration(db, user, declaration_id)
    if row is None:
        raise NotFound(f"no declaration {declaration_id}", loc=["path", "declaration_id"])
    return row


def _files(db: Engine, declaration_id: str, task_id: int | None = None) -> list[dict]:
    columns = ["evidence_id", "task_id", "kind", "filename", "content_type", "size_bytes", "sha256", "uploaded_at"]
    return records(evidence_frame(db, declaration_id, task_id), columns)


def document_list(db: Engine, declaration_id: str) -> list[dict]:
    """The declaration's document requests, oldest first: state, due date, ``late`` (received after it),
    ``overdue`` (still awaited after it) and the file received."""
    frame = control_service.requests_frame(db, declaration_id)
    files = {f["evidence_id"]: f for f in _files(db, declaration_id)}
    now = pd.Timestamp(utc_now())
    out = []
    for row in records(frame.assign(overdue=(frame["state"] == "requested") & (frame["due_at"] < now))):
        out.append({key: row[key] for key in ("request_id", "document_type", "state", "requested_at", "due_at",
                                              "received_at", "late", "overdue")}
                   | {"file": files.get(row["evidence_id"])})
    return out


def query_list(db: Engine, declaration_id: str, query_id: int | None = None) -> list[dict]:
    """The declaration's valuation queries (the trader's view: no officer names), with ``answerable`` (open and
    before its deadline) and ``past_deadline`` (unanswered and the deadline passed)."""
    now = utc_now()
    out = []
    for row in records(control_service.queries_frame(db, declaration_id)):
        if query_id is not None and row["query_id"] != query_id:
            continue
        unanswered = row["state"] in ("open", "expired")
        out.append({key: row[key] for key in (
            "query_id", "state", "reasons_to_doubt", "declared_value", "duty_rate", "raised_at", "deadline", "answer",
            "answered_at", "decided_value", "duty_before", "duty_after", "decided_at", "version")}
            | {"answerable": row["state"] == "open" and now <= row["deadline"],
               "past_deadline": unanswered and now > row["deadline"]})
    return out


def _inspection_task(db: Engine, declaration_id: str):
    """The declaration's newest physical or remote inspection task, with its decision's explanation."""
    return control_reads.inspection_task(db, declaration_id)


def _remote_fits(task) -> bool:
    """Whether the task may switch to remote: a physical inspection not booked yet whose every reason can be
    checked remotely (control.workflow.remote_fit)."""
    explanation = json.loads(task.explanation) if task.explanation else {}
    return task.mode == "physical" and task.state in ("created", "assigned") and control_service.remote_fit(explanation)


def _remote_slots(db: Engine, office_id: str) -> bool:
    """Whether the office has a free remote slot ahead (else a switch to remote could never be booked)."""
    return not control_service.free_slots(db, office_id, "remote", limit=1).empty


def inspection_state(db: Engine, declaration_id: str) -> dict | None:
    """The declaration's inspection (None when it has none): mode, state, due, whether it may switch to remote,
    its booking and whether it may be cancelled (booked and its slot not started), the free slots it may book
    (while assigned), and its evidence (remote, once booked)."""
    task = _inspection_task(db, declaration_id)
    if task is None:
        return None
    wanted = control_service.SLOT_MODE[task.mode]
    slots = []
    if task.state == "assigned":
        frame = control_service.free_slots(db, task.office_id, wanted, limit=20)
        slots = records(frame, ["slot_id", "starts_at", "ends_at", "free"])
    booking = control_service.booking_of(db, task.task_id)
    return {
        "task_id": task.task_id, "mode": task.mode, "state": task.state, "due_at": task.due_at,
        "version": task.version, "slot_mode": wanted,
        "remote_possible": _remote_fits(task) and _remote_slots(db, task.office_id),
        "booking": {key: booking[key] for key in ("slot_id", "mode", "starts_at", "ends_at", "booked_at")}
        if booking else None,
        "cancellable": bool(booking) and task.state == "scheduled" and booking["starts_at"] > utc_now(),
        "slots": slots,
        "evidence_open": task.mode == "remote" and task.state in ("scheduled", "in_progress"),
        "files": _files(db, declaration_id, task.task_id),
    }


def _declaration_data(db: Engine, declaration: Declaration) -> dict:
    """The declaration with its received documents, as application_free_services reads it."""
    files = {f["evidence_id"]: f for f in _files(db, declaration.declaration_id)}
    requests = control_service.requests_frame(db, declaration.declaration_id)
    documents = [{"document_type": r["document_type"], "state": r["state"], "request_id": r["request_id"],
                  "filename": (files.get(r["evidence_id"]) or {}).get("filename")} for r in records(requests)]
    return {**declaration.model_dump(), "documents": documents}


def services_of(db: Engine, config: RiskConfig, declaration: Declaration) -> dict:
    """The application-free services the declaration gets, and its importer's good standing."""
    services, standing, findings, record = undertaking_service.free_services(
        db, _declaration_data(db, declaration), aeo_importers=config.aeo_importers,
        agreements=config.origin.agreements)
    return {"services": [{"code": s.code, "text": s.text, "params": s.params} for s in services],
            "good_standing": standing,
            "findings": [{"code": f.code, "met": f.met, "text": f.text, "params": f.params} for f in findings],
            "record": record}


def undertaking_text(request: Request, user: User, declaration_id: str) -> str:
    return gettext(request, UNDERTAKING_TEXT) % {"name": user.username, "id": declaration_id}


def undertaking_state(request: Request, db: Engine, user: User, declaration_id: str) -> dict:
    """The declaration's undertaking if signed; else whether one may be signed, why (not), and its text."""
    signed = undertaking_service.undertaking_of(db, declaration_id)
    if signed is not None:
        return {"signed": {key: signed[key] for key in ("undertaking_id", "signed_by", "signed_at", "text",
                                                        "verified_at", "result")},
                "eligible": False, "refusals": [], "findings": [], "text": None}
    found = undertaking_service.eligibility(db, declaration_id, aeo_importers=risk_config(request).aeo_importers)
    return {"signed": None, "eligible": found.eligible,
            "refusals": [{"code": r.code, "text": r.text, "params": r.params} for r in found.refusals],
            "findings": [{"code": f.code, "met": f.met, "text": f.text, "params": f.params} for f in found.findings],
            "text": undertaking_text(request, user, declaration_id) if found.eligible else None}


# --- acting -----------------------------------------------------------------------------------------------------


def _upload_type(upload) -> str:
    """The declared type of an uploaded file, guessed from its name when the browser sent none."""
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    if declared in KIND:
        return declared
    guessed = mimetypes.guess_type(upload.filename or "")[0]
    return guessed if guessed in KIND else declared


def _evidence_refused(exc: EvidenceError, target: str | None) -> WebError:
    """A refused file, by the refusal's code."""
    if exc.code == "file_too_large":
        return refused(TooLarge, exc.message, "too_large", loc=["body", "file"], type_="file_too_large",
                       target=target)
    if exc.code in ("file_type", "file_content", "file_empty"):
        return refused(Invalid, exc.message, exc.code, loc=["body", "file"], type_=exc.code, target=target)
    return refused(Invalid, exc.message, "file_content", loc=["body", "file"], type_="file_refused", target=target)


def _check_upload(upload, target: str | None):
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise refused(Invalid, "choose a file to upload", "choose_file", loc=["body", "file"], type_="missing",
                      target=target)


def _invalid(problems: list[dict], say: str, target: str | None) -> Invalid:
    error = Invalid(problems)
    error.say, error.params, error.target = say, {}, target
    return error


def upload_document(db: Engine, folder: Path, limits: EvidenceLimits, user: User, declaration_id: str,
                    request_id: int, upload) -> dict:
    """Store the file and mark the requested document received, in one transaction (a refused file stores no
    row). Returns request_id, late and the stored file."""
    own(db, user, declaration_id)
    target = f"document-{request_id}"
    found = [r for r in document_list(db, declaration_id) if r["request_id"] == request_id]
    if not found:
        raise NotFound(f"declaration {declaration_id} has no document request {request_id}",
                       loc=["path", "request_id"])
    if found[0]["state"] != "requested":
        raise refused(Conflict, f"document request {request_id} is {found[0]['state']}: no document is awaited",
                      "not_requested", target=target)
    _check_upload(upload, target)
    try:
        evidence_id, late = control_service.receive_document(
            db, folder, limits, declaration_id=declaration_id, request_id=request_id, filename=upload.filename,
            data=upload.file, content_type=_upload_type(upload), uploaded_by=user.username)
    except EvidenceError as exc:
        raise _evidence_refused(exc, target) from exc
    except control_service.QueryError as exc:
        raise refused(Conflict, str(exc), "not_requested", target=target) from exc
    file = next(f for f in _files(db, declaration_id) if f["evidence_id"] == evidence_id)
    return {"request_id": request_id, "late": late, "evidence": file}


def answer_query(db: Engine, folder: Path, limits: EvidenceLimits, user: User, declaration_id: str, query_id: int,
                 answer: str, expected_version: int | None = None, upload=None) -> dict:
    """Answer a valuation query (until its deadline), with an optional file stored in the same transaction (a
    refused answer stores no row). Returns the query as the trader sees it."""
    own(db, user, declaration_id)
    target = f"query-{query_id}"
    if not query_list(db, declaration_id, query_id):
        raise NotFound(f"declaration {declaration_id} has no valuation query {query_id}", loc=["path", "query_id"])
    answer = (answer or "").strip()
    if not answer:
        raise _invalid([{"loc": ["body", "answer"], "msg": "the answer is empty", "type": "missing"}],
                       "write_answer", target)
    with_file = upload is not None and not isinstance(upload, str) and bool(upload.filename)
    try:
        control_service.answer_query(
            db, folder, limits, declaration_id=declaration_id, query_id=query_id, answer=answer,
            answered_by=user.username, expected_version=expected_version,
            upload=(upload.filename, upload.file, _upload_type(upload)) if with_file else None)
    except EvidenceError as exc:
        raise _evidence_refused(exc, target) from exc
    except control_service.DeadlineError as exc:
        raise refused(Conflict, str(exc), "deadline", type_="deadline_passed", target=target) from exc
    except control_service.QueryConflictError as exc:
        raise refused(Conflict, str(exc), "changed", type_="conflict", target=target) from exc
    except control_service.QueryError as exc:
        raise refused(Conflict, str(exc), "not_open", type_="not_open", target=target) from exc
    return query_list(db, declaration_id, query_id)[0]


def _task_or_refuse(db: Engine, declaration_id: str, target: str):
    task = _inspection_task(db, declaration_id)
    if task is None:
        raise refused(Conflict, f"declaration {declaration_id} has no physical or remote inspection",
                      "no_inspection", type_="no_inspection", target=target)
    return task


def ask_remote(db: Engine, user: User, declaration_id: str, expected_version: int | None = None) -> dict:
    """Switch the declaration's physical inspection to remote (before it is booked, when its reasons allow)."""
    own(db, user, declaration_id)
    task = _task_or_refuse(db, declaration_id, "remote")
    if not _remote_fits(task):
        raise refused(Conflict, f"task {task.task_id} is a {task.state} {task.mode} inspection whose reasons do "
                      "not allow a remote inspection", "not_remote", type_="not_remote", target="remote")
    if not _remote_slots(db, task.office_id):
        raise refused(Conflict, f"office {task.office_id} has no free remote inspection slot ahead",
                      "no_remote_slots", type_="no_remote_slots", target="remote")
    try:
        control_service.change_mode(db, task.task_id, "remote", actor=user.username,
                                expected_version=task.version if expected_version is None else expected_version,
                                note="asked by the trader")
    except control_service.ConflictError as exc:
        raise refused(Conflict, str(exc), "changed", type_="conflict", target="remote") from exc
    except ControlError as exc:
        raise refused(Conflict, str(exc), "remote_refused", type_="remote_refused", target="remote") from exc
    return inspection_state(db, declaration_id)


def book_slot(db: Engine, user: User, declaration_id: str, slot_id: int | None) -> dict:
    """Book a slot for the declaration's inspection. Returns the inspection with its booking."""
    own(db, user, declaration_id)
    task = _task_or_refuse(db, declaration_id, "booking")
    if slot_id is None:
        raise _invalid([{"loc": ["body", "slot_id"], "msg": "choose a slot", "type": "missing"}], "choose_slot",
                       "booking")
    if task.state == "created":
        raise refused(Conflict, f"task {task.task_id} has no officer yet: it can be booked once assigned",
                      "not_assigned", type_="not_assigned", target="booking")
    try:
        control_service.book(db, task.task_id, slot_id, booked_by=user.username)
    except control_service.NotFoundError as exc:
        raise _invalid([{"loc": ["body", "slot_id"], "msg": str(exc), "type": "not_found"}], "choose_slot",
                       "booking") from exc
    except ControlError as exc:
        full = exc.code == "slot_full"
        raise refused(Conflict, str(exc), "slot_full" if full else "booking_refused",
                      type_="slot_full" if full else "booking_refused", target="booking") from exc
    return inspection_state(db, declaration_id)


def cancel_slot(db: Engine, user: User, declaration_id: str) -> dict:
    """Cancel the booking of the declaration's inspection before its slot starts: the slot is free again and the
    inspection waits for another booking. Returns the inspection without its booking."""
    own(db, user, declaration_id)
    task = _task_or_refuse(db, declaration_id, "cancel")
    if control_service.booking_of(db, task.task_id) is None:
        raise refused(Conflict, f"task {task.task_id} is {task.state}: it has no booking to cancel", "not_booked",
                      type_="not_booked", target="cancel")
    try:
        control_service.cancel_booking(db, task.task_id, cancelled_by=user.username)
    except control_service.ConflictError as exc:
        raise refused(Conflict, str(exc), "changed", type_="conflict", target="cancel") from exc
    except ControlError as exc:  # BookingError (slot started, not booked meanwhile) or NotFoundError
        if control_service.booking_of(db, task.task_id) is None:
            raise refused(Conflict, str(exc), "not_booked", type_="not_booked", target="cancel") from exc
        raise refused(Conflict, str(exc), "cancel_refused", type_="cancel_refused", target="cancel") from exc
    return inspection_state(db, declaration_id)


def upload_evidence(db: Engine, folder: Path, limits: EvidenceLimits, user: User, declaration_id: str,
                    upload) -> dict:
    """Store a photo, video or document for the declaration's booked remote inspection."""
    own(db, user, declaration_id)
    task = _task_or_refuse(db, declaration_id, "evidence")
    if task.mode != "remote" or task.state not in ("scheduled", "in_progress"):
        raise refused(Conflict, f"task {task.task_id} is a {task.state} {task.mode} inspection: files are taken "
                      "for a booked remote inspection", "no_evidence_yet", type_="not_remote", target="evidence")
    _check_upload(upload, "evidence")
    try:
        evidence_id = store_evidence(db, folder, declaration_id=declaration_id, task_id=task.task_id,
                                     filename=upload.filename, data=upload.file, content_type=_upload_type(upload),
                                     uploaded_by=user.username, limits=limits)
    except EvidenceError as exc:
        raise _evidence_refused(exc, "evidence") from exc
    return next(f for f in _files(db, declaration_id, task.task_id) if f["evidence_id"] == evidence_id)


def sign(request: Request, db: Engine, user: User, declaration_id: str) -> dict:
    """Sign the undertaking of a declaration eligible for promise-based release (released at once)."""
    own(db, user, declaration_id)
    found = undertaking_service.eligibility(db, declaration_id, aeo_importers=risk_config(request).aeo_importers)
    if not found.eligible:
        first = found.refusals[0]
        raise refused(Conflict, first.text, first.code, type_=first.code, target="undertaking")
    try:
        undertaking_service.sign_undertaking(db, declaration_id, signed_by=user.username, basis=found.basis,
                                             text=undertaking_text(request, user, declaration_id))
    except UndertakingError as exc:
        raise refused(Conflict, str(exc), exc.code if exc.code in REFUSALS else "unsigned", type_=exc.code,
                      target="undertaking") from exc
    return undertaking_service.undertaking_of(db, declaration_id)


# --- what waits for the trader ----------------------------------------------------------------------------------


def todo(request: Request, db: Engine, user: User, limit: int = 100) -> dict:
    """Across the trader's declarations: documents to send, queries to answer before their deadline,
    inspections to book (or waiting for an officer), remote inspections without evidence yet, and yellow-lane
    declarations that may be released on an undertaking."""
    now = utc_now()
    found = control_reads.trader_todo(db, user, now, limit)
    documents, answers, controls, yellow = (found[key] for key in ("documents", "queries", "inspections", "yellow"))
    aeo = risk_config(request).aeo_importers
    promises = [key for key in yellow if undertaking_service.eligibility(db, key, aeo_importers=aeo).eligible]
    for row in documents:
        row["overdue"] = row["due_at"] < now
    return {"documents": documents, "queries": answers, "inspections": controls, "promises": promises,
            "empty": not (documents or answers or controls or promises)}


# --- the panel ------------------------------------------------------------------------------------


def control_context(request: Request, db: Engine, user: User, declaration: Declaration, lane: str | None, *,
                    sections=("services", "documents", "queries", "inspection", "undertaking"),
                    query_id: int | None = None, error: WebError | None = None, standalone: bool = False,
                    values: dict | None = None) -> dict:
    """What the panel (or one section of it, ``standalone`` on a page of its own) shows for a declaration of the
    signed-in trader; ``values``: what the trader typed, shown again with an error."""
    key = declaration.declaration_id
    control = {"declaration_id": key, "lane": lane, "sections": sections, "error": None, "words": WORDS,
               "standalone": standalone, "values": values or {},
               "done": DONE.get(request.query_params.get("done", ""))}
    if "services" in sections:
        control["services"] = services_of(db, risk_config(request), declaration)
    if "documents" in sections:
        control["documents"] = document_list(db, key)
    if "queries" in sections:
        control["queries"] = query_list(db, key, query_id)
    if "inspection" in sections:
        control["inspection"] = inspection_state(db, key)
    if "undertaking" in sections:
        control["undertaking"] = undertaking_state(request, db, user, key)
    if error is not None:
        say = getattr(error, "say", None)
        control["error"] = {"target": getattr(error, "target", None), "message": error.message,
                            "say": SAY.get(say) or REFUSALS.get(say), "params": getattr(error, "params", {})}
    return control


def panel(request: Request, db: Engine, user: User, found: dict) -> dict:
    """The context the declaration page's control panel needs (``found``: scoped.detail's answer)."""
    return {"control": control_context(request, db, user, found["declaration"], found["lane"])}
