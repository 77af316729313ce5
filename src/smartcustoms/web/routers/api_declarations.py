"""/api/v1/declarations: lodge a declaration (JSON) or a file, and read the caller's declarations."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from smartcustoms.accounts.service import User
from smartcustoms.declarations.models import Declaration
from smartcustoms.web import scoped
from smartcustoms.web.deps import Db, require
from smartcustoms.web.errors import NotFound
from smartcustoms.web.schemas import ERRORS, Assessment, DeclarationDetail, DeclarationList, FileResult
from smartcustoms.web.submissions import LODGING_ROLES, Assessed, from_declaration, may_lodge, not_permitted
from smartcustoms.web.uploads import lodge_file

router = APIRouter(prefix="/api/v1", tags=["declarations"], responses=ERRORS)

Lodger = Annotated[User, require(*LODGING_ROLES)]
Reader = Annotated[User, require()]


def assessment(result: Assessed) -> dict:
    return {key: value for key, value in asdict(result).items() if key != "created"}


@router.post("/declarations", response_model=Assessment, status_code=201,
             responses={200: {"model": Assessment, "description": "lodged before with the same content: the "
                                                                  "decision it got then (nothing is written)"}})
async def lodge_declaration(declaration: Declaration, user: Lodger, request: Request):
    """Lodge one declaration (the JSON layout of `smartcustoms import`) and get its lane and the reasons.

    Lodging the same declaration again answers 200 with its decision; the same ID with other content is
    refused with 409."""
    if not may_lodge(user, declaration.importer_id, declaration.declarant_id):
        raise not_permitted(user, declaration.importer_id, declaration.declarant_id)
    result = await request.app.state.batcher.submit(from_declaration(declaration, user, "api"))
    # the answer is already in the documented shape: sent as is, without validating it again (the busiest route)
    return JSONResponse(assessment(result), status_code=201 if result.created else 200)


@router.post("/declarations/file", response_model=FileResult)
async def lodge_declarations_file(
    user: Lodger,
    request: Request,
    file: Annotated[UploadFile, File(description="declarations: .csv, .json/.jsonl or .edi (UN/EDIFACT CUSDEC)")],
    fmt: Annotated[str | None, Form(alias="format", description="csv, json or cusdec (default: from the file "
                                                                "name)")] = None,
    mapping: Annotated[str, Form(description="CSV column mapping: own or kcs")] = "own",
):
    """Lodge every declaration of a file: each valid one gets its lane; invalid rows, conflicts and
    declarations of other traders come back as rejects (row, field, reason)."""
    settings = request.app.state.settings
    data = await file.read(settings.upload_max_bytes + 1)
    outcome = await lodge_file(request.app.state.batcher, user, data, file.filename or "upload", fmt, mapping,
                               settings.upload_max_bytes)
    return {**outcome, "results": [assessment(r) for r in outcome["results"]]}


@router.get("/declarations", response_model=DeclarationList)
def list_declarations(user: Reader, db: Db,
                      limit: Annotated[int, Query(ge=1, le=500)] = 50,
                      offset: Annotated[int, Query(ge=0)] = 0):
    """The declarations the caller may see, newest first: a trader's own, an officer's offices', or all."""
    items, total = scoped.page(db, user, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/declarations/{declaration_id}", response_model=DeclarationDetail)
def get_declaration(declaration_id: str, user: Reader, db: Db):
    """A declaration as lodged, its lane, reasons, status and timeline (404 when it is not the caller's)."""
    found = scoped.detail(db, user, declaration_id)
    if found is None:
        raise NotFound(f"no declaration {declaration_id}", loc=["path", "declaration_id"])
    return found
