"""The trader portal: my declarations, lodging one (form or file), a declaration's page, my compliance record."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from smartcustoms.accounts.service import User
from smartcustoms.control import service as control_service
from smartcustoms.declarations.service import shipped_mappings
from smartcustoms.store.db import utc_now
from smartcustoms.web import forms
from smartcustoms.web.deps import Db, Session, require_page
from smartcustoms.web.errors import NotFound, WebError
from smartcustoms.web.i18n import N_, formats_of
from smartcustoms.web.portal.presenters import (
    WORDS,
    _invalid,
    answer_query,
    ask_remote,
    book_slot,
    cancel_slot,
    control_context,
    evidence_folder,
    evidence_limits,
    own,
    panel,
    query_list,
    sign,
    todo,
    upload_document,
    upload_evidence,
)
from smartcustoms.web.render import render
from smartcustoms.web.submissions import from_declaration
from smartcustoms.web.uploads import lodge_file

router = APIRouter(prefix="/portal", include_in_schema=False)
Trader = Annotated[User, require_page("trader")]


@router.get("/declarations", name="my_declarations")
def my_declarations(request: Request, user: Trader, db: Session, page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    size = request.app.state.settings.page_size
    rows, total = control_service.declaration_page(db, user, size, (page - 1) * size)
    return render(request, "portal/declarations.html", {"rows": rows, "total": total, "page": page,
                                                        "pages": max(1, -(-total // size))})


@router.get("/declarations/{declaration_id}", name="my_declaration")
def my_declaration(request: Request, declaration_id: str, user: Trader, db: Session):
    found = control_service.declaration_detail(db, user, declaration_id)
    if found is None:
        raise NotFound(f"no declaration {declaration_id}")
    return render(request, "portal/declaration.html", {**found, "lodged": request.query_params.get("lodged"),
                                                       **panel(request, db, user, found)})


def _form_page(request: Request, user: User, values: dict, positions: list[int], errors: dict | None = None,
               status_code: int = 200, upload_error: str | None = None):
    return render(request, "portal/submit.html", {
        "header": forms.HEADER, "item_fields": forms.ITEM, "values": values, "positions": positions,
        "errors": errors or {}, "mappings": shipped_mappings(), "upload_error": upload_error,
        "max_items": forms.MAX_ITEMS,
    }, status_code)


def _defaults(user: User) -> dict:
    values = {"acceptance_datetime": utc_now().strftime("%Y-%m-%dT%H:%M")}
    if len(user.importer_ids) == 1:
        values["importer_id"] = user.importer_ids[0]
    if len(user.declarant_ids) == 1:
        values["declarant_id"] = user.declarant_ids[0]
    return values


@router.get("/submit", name="submit_form")
def submit_form(request: Request, user: Trader):
    return _form_page(request, user, _defaults(user), [0])


@router.post("/submit")
async def submit(request: Request, user: Trader):
    form = await request.form()
    data, values, positions = forms.read_form(form, formats_of(request))  # numbers and dates as the trader writes
    if form.get("action") == "add_item":
        if len(positions) < forms.MAX_ITEMS:
            positions = positions + [max(positions) + 1]
        return _form_page(request, user, values, positions)
    try:
        declaration = forms.validate_form(data)
    except ValidationError as exc:
        return _form_page(request, user, values, positions,
                          {**forms.problems(exc, positions), **forms.written_problems(values)}, 422)
    try:
        result = await request.app.state.batcher.submit(from_declaration(declaration, user, "form"))
    except WebError as exc:
        field = exc.loc[-1] if exc.loc else "declaration"
        message = forms.REFUSALS.get(exc.type, exc.message)
        return _form_page(request, user, values, positions, {field: (message, exc.type)}, exc.status_code)
    target = request.app.url_path_for("my_declaration", declaration_id=result.declaration_id)
    return RedirectResponse(f"{target}?lodged={'new' if result.created else 'again'}", 303)


@router.post("/submit/file", name="submit_file")
async def submit_file(request: Request, user: Trader):
    form = await request.form()
    upload = form.get("file")
    settings = request.app.state.settings
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _form_page(request, user, _defaults(user), [0], upload_error=N_("Choose a file to upload."),
                          status_code=422)
    data = await upload.read(settings.upload_max_bytes + 1)
    try:
        outcome = await lodge_file(request.app.state.batcher, user, data, upload.filename,
                                   form.get("format") or None, form.get("mapping") or "own",
                                   settings.upload_max_bytes)
    except WebError as exc:
        return _form_page(request, user, _defaults(user), [0], status_code=exc.status_code,
                          upload_error="; ".join(error["msg"] for error in exc.errors()))
    return render(request, "portal/upload_result.html", {**outcome, "filename": upload.filename})


@router.get("/compliance", name="my_compliance")
def my_compliance(request: Request, user: Trader, db: Session):
    return render(request, "portal/compliance.html", {"record": control_service.compliance_record(db, user)})


# --- the control pages ------------------------------------------------------------------------------------------


def _section_page(request: Request, db: Engine, user: User, declaration_id: str, sections: tuple[str, ...], *,
                  query_id: int | None = None, error: WebError | None = None, values: dict | None = None):
    found = control_service.declaration_detail(db, user, declaration_id)
    if found is None:
        raise NotFound(f"no declaration {declaration_id}")
    control = control_context(request, db, user, found["declaration"], found["lane"], sections=sections,
                              query_id=query_id, error=error, standalone=True, values=values)
    return render(request, "portal_control/section.html", {"control": control, "declaration": found["declaration"]},
                  status_code=error.status_code if error is not None else 200)


def _back(request: Request, declaration_id: str, done: str, anchor: str) -> RedirectResponse:
    target = request.app.url_path_for("my_declaration", declaration_id=declaration_id)
    return RedirectResponse(f"{target}?done={done}#{anchor}", 303)


def _number(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@router.get("/todo", name="portal_todo")
def todo_page(request: Request, user: Trader, db: Session):
    return render(request, "portal_control/todo.html", {"todo": todo(request, db, user), "words": WORDS})


@router.get("/declarations/{declaration_id}/documents", name="portal_documents")
def documents_page(request: Request, declaration_id: str, user: Trader, db: Session):
    own(db, user, declaration_id)
    return _section_page(request, db, user, declaration_id, ("documents",))


@router.post("/declarations/{declaration_id}/documents/{request_id}", name="portal_document_upload")
async def document_upload(request: Request, declaration_id: str, request_id: int, user: Trader, db: Db):
    form = await request.form()
    try:
        done = await run_in_threadpool(upload_document, db, evidence_folder(request), evidence_limits(request), user,
                                       declaration_id, request_id, form.get("file"))
    except WebError as exc:
        if exc.status_code == 404:
            raise
        return await run_in_threadpool(_section_page, request, db, user, declaration_id, ("documents",), error=exc)
    return _back(request, declaration_id, "document_late" if done["late"] else "document", "pc-documents")


@router.get("/declarations/{declaration_id}/queries/{query_id}", name="portal_query")
def query_page(request: Request, declaration_id: str, query_id: int, user: Trader, db: Session):
    own(db, user, declaration_id)
    if not query_list(db, declaration_id, query_id):
        raise NotFound(f"no valuation query {query_id} for declaration {declaration_id}")
    return _section_page(request, db, user, declaration_id, ("queries",), query_id=query_id)


@router.post("/declarations/{declaration_id}/queries/{query_id}", name="portal_query_answer")
async def query_answer(request: Request, declaration_id: str, query_id: int, user: Trader, db: Db):
    form = await request.form()
    answer = str(form.get("answer") or "")
    try:
        await run_in_threadpool(answer_query, db, evidence_folder(request), evidence_limits(request), user,
                                declaration_id, query_id, answer, _number(form.get("version")), form.get("file"))
    except WebError as exc:
        if exc.status_code == 404:
            raise
        return await run_in_threadpool(_section_page, request, db, user, declaration_id, ("queries",),
                                       query_id=query_id, error=exc, values={"answer": answer})
    return _back(request, declaration_id, "answer", f"pc-query-{query_id}")


@router.get("/declarations/{declaration_id}/inspection", name="portal_inspection")
def inspection_page(request: Request, declaration_id: str, user: Trader, db: Session):
    own(db, user, declaration_id)
    return _section_page(request, db, user, declaration_id, ("inspection",))


async def _inspection_step(request: Request, declaration_id: str, user: User, db: Engine, step, done: str):
    try:
        await run_in_threadpool(step)
    except WebError as exc:
        if exc.status_code == 404:
            raise
        return await run_in_threadpool(_section_page, request, db, user, declaration_id, ("inspection",), error=exc)
    return _back(request, declaration_id, done, "pc-inspection")


@router.post("/declarations/{declaration_id}/inspection/remote", name="portal_inspection_remote")
async def inspection_remote(request: Request, declaration_id: str, user: Trader, db: Db):
    version = _number((await request.form()).get("version"))
    return await _inspection_step(request, declaration_id, user, db,
                                  lambda: ask_remote(db, user, declaration_id, version), "remote")


@router.post("/declarations/{declaration_id}/inspection/booking", name="portal_inspection_booking")
async def inspection_booking(request: Request, declaration_id: str, user: Trader, db: Db):
    slot_id = _number((await request.form()).get("slot_id"))
    return await _inspection_step(request, declaration_id, user, db,
                                  lambda: book_slot(db, user, declaration_id, slot_id), "booked")


@router.post("/declarations/{declaration_id}/inspection/booking/cancel", name="portal_inspection_cancel")
async def inspection_cancel(request: Request, declaration_id: str, user: Trader, db: Db):
    return await _inspection_step(request, declaration_id, user, db,
                                  lambda: cancel_slot(db, user, declaration_id), "cancelled")


@router.post("/declarations/{declaration_id}/inspection/evidence", name="portal_inspection_evidence")
async def inspection_evidence(request: Request, declaration_id: str, user: Trader, db: Db):
    upload = (await request.form()).get("file")
    folder, limits = evidence_folder(request), evidence_limits(request)
    return await _inspection_step(request, declaration_id, user, db,
                                  lambda: upload_evidence(db, folder, limits, user, declaration_id, upload), "evidence")


@router.get("/declarations/{declaration_id}/undertaking", name="portal_undertaking")
def undertaking_page(request: Request, declaration_id: str, user: Trader, db: Session):
    own(db, user, declaration_id)
    return _section_page(request, db, user, declaration_id, ("undertaking",))


@router.post("/declarations/{declaration_id}/undertaking", name="portal_undertaking_sign")
async def undertaking_sign(request: Request, declaration_id: str, user: Trader, db: Db):
    agreed = (await request.form()).get("agree") == "yes"
    try:
        if not agreed:
            await run_in_threadpool(own, db, user, declaration_id)
            raise _invalid([{"loc": ["body", "agree"], "msg": "tick the box to sign", "type": "missing"}], "agree",
                           "undertaking")
        await run_in_threadpool(sign, request, db, user, declaration_id)
    except WebError as exc:
        if exc.status_code == 404:
            raise
        return await run_in_threadpool(_section_page, request, db, user, declaration_id, ("undertaking",), error=exc)
    return _back(request, declaration_id, "signed", "pc-undertaking")
