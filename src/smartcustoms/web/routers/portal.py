"""The trader portal: my declarations, lodging one (form or file), a declaration's page, my compliance record."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from smartcustoms.accounts.service import User
from smartcustoms.declarations.mapping import shipped_mappings
from smartcustoms.store.db import utc_now
from smartcustoms.web import forms, scoped
from smartcustoms.web.deps import Db, require_page
from smartcustoms.web.errors import NotFound, WebError
from smartcustoms.web.i18n import N_
from smartcustoms.web.render import render
from smartcustoms.web.routers.portal_control import panel as control_panel
from smartcustoms.web.submissions import from_declaration
from smartcustoms.web.uploads import lodge_file

router = APIRouter(prefix="/portal", include_in_schema=False)
Trader = Annotated[User, require_page("trader")]


@router.get("/declarations", name="my_declarations")
def my_declarations(request: Request, user: Trader, db: Db, page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    size = request.app.state.settings.page_size
    rows, total = scoped.page(db, user, size, (page - 1) * size)
    return render(request, "portal/declarations.html", {"rows": rows, "total": total, "page": page,
                                                        "pages": max(1, -(-total // size))})


@router.get("/declarations/{declaration_id}", name="my_declaration")
def my_declaration(request: Request, declaration_id: str, user: Trader, db: Db):
    found = scoped.detail(db, user, declaration_id)
    if found is None:
        raise NotFound(f"no declaration {declaration_id}")
    return render(request, "portal/declaration.html", {**found, "lodged": request.query_params.get("lodged"),
                                                       **control_panel(request, db, user, found)})


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
    data, values, positions = forms.read_form(form)
    if form.get("action") == "add_item":
        if len(positions) < forms.MAX_ITEMS:
            positions = positions + [max(positions) + 1]
        return _form_page(request, user, values, positions)
    try:
        declaration = forms.validate_form(data)
    except ValidationError as exc:
        return _form_page(request, user, values, positions, forms.problems(exc, positions), 422)
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
def my_compliance(request: Request, user: Trader, db: Db):
    return render(request, "portal/compliance.html", {"record": scoped.compliance_record(db, user)})
