"""The trader portal's API: lodge declarations (JSON or a file), list and read one's own; and the control chain
seen from the trader's side (documents, valuation queries, the inspection, promise-based release).

/api/v1/declarations: lodge a declaration (JSON) or a file, and read the caller's declarations.

/api/v1/declarations/{id}/...: the trader's side of the control chain through the API: requested documents,
valuation queries, the inspection (slots, booking and its cancellation, remote switch, evidence), promise-based
release and the application-free services. Traders only, on their own declarations (404 for any other); a refusal
answers 409 (or 413/422 for a file or a field) with the domain's message and changes nothing.
"""

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, File, Form, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from smartcustoms.accounts.service import User
from smartcustoms.control import service as control_service
from smartcustoms.declarations.schemas import Declaration
from smartcustoms.web.bounds import Offset
from smartcustoms.web.deps import Db, Session, require
from smartcustoms.web.errors import NotFound
from smartcustoms.web.portal.presenters import (
    answer_query,
    ask_remote,
    book_slot,
    cancel_slot,
    document_list,
    evidence_folder,
    evidence_limits,
    inspection_state,
    own,
    query_list,
    risk_config,
    services_of,
    sign,
    undertaking_state,
    upload_document,
    upload_evidence,
)
from smartcustoms.web.schemas import (
    ERRORS,
    Assessment,
    DeclarationDetail,
    DeclarationList,
    FileResult,
    TraderAssessment,
    TraderDeclarationDetail,
)
from smartcustoms.web.submissions import LODGING_ROLES, Assessed, from_declaration, may_lodge, not_permitted
from smartcustoms.web.trader_view import for_role, is_trader
from smartcustoms.web.uploads import lodge_file

router = APIRouter(prefix="/api/v1", tags=["declarations"], responses=ERRORS)

Lodger = Annotated[User, require(*LODGING_ROLES)]
Reader = Annotated[User, require()]


def assessment(result: Assessed, role: str | None) -> dict:
    """The answer to a lodging: everything for staff; for a trader the lane, status and what to do, never the
    source, score or reasons (selection criteria stay with customs: web/trader_view.py)."""
    return for_role({key: value for key, value in asdict(result).items() if key != "created"}, role)


@router.post("/declarations", response_model=Assessment | TraderAssessment, status_code=201,
             responses={200: {"model": Assessment | TraderAssessment,
                              "description": "lodged before with the same content: the decision it got then "
                                             "(nothing is written)"}})
async def lodge_declaration(declaration: Declaration, user: Lodger, request: Request):
    """Lodge one declaration (the JSON layout of `smartcustoms import`) and get its lane: a trader gets the lane,
    the status and what to do (TraderAssessment); system accounts of customs also the source, score and reasons.

    Lodging the same declaration again answers 200 with its decision; the same ID with other content is
    refused with 409."""
    if not may_lodge(user, declaration.importer_id, declaration.declarant_id):
        raise not_permitted(user, declaration.importer_id, declaration.declarant_id)
    result = await request.app.state.batcher.submit(from_declaration(declaration, user, "api"))
    # the answer is already in the documented shape: sent as is, without validating it again (the busiest route)
    return JSONResponse(assessment(result, user.role), status_code=201 if result.created else 200)


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
    return {**outcome, "results": [assessment(r, user.role) for r in outcome["results"]]}


@router.get("/declarations", response_model=DeclarationList)
def list_declarations(user: Reader, db: Session,
                      limit: Annotated[int, Query(ge=1, le=500)] = 50,
                      offset: Offset = 0):
    """The declarations the caller may see, newest first: a trader's own, an officer's offices', or all."""
    items, total = control_service.declaration_page(db, user, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/declarations/{declaration_id}", response_model=DeclarationDetail | TraderDeclarationDetail)
def get_declaration(declaration_id: str, user: Reader, db: Session):
    """A declaration as lodged, its lane, status and timeline (404 when it is not the caller's); staff also get
    what chose the lane (source, score, reasons), a trader what to do (TraderDeclarationDetail)."""
    found = control_service.declaration_detail(db, user, declaration_id)
    if found is None:
        raise NotFound(f"no declaration {declaration_id}", loc=["path", "declaration_id"])
    if is_trader(user.role):
        told = TraderDeclarationDetail.model_validate(for_role(found, user.role))
        return JSONResponse(jsonable_encoder(told))
    return found


control_router = APIRouter(prefix="/api/v1/declarations/{declaration_id}", tags=["trader control"], responses=ERRORS)
Trader = Annotated[User, require("trader")]


class EvidenceFile(BaseModel):
    evidence_id: int
    task_id: int | None
    kind: str = Field(description="photo | video | document")
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime


class DocumentRequest(BaseModel):
    request_id: int
    document_type: str = Field(description="invoice | certificate_of_origin | packing_list | transport_document | "
                                           "licence | other")
    state: str = Field(description="requested | received | waived")
    requested_at: datetime
    due_at: datetime
    received_at: datetime | None
    late: bool = Field(description="received after its due date (accepted, counted late)")
    overdue: bool = Field(description="still awaited after its due date")
    file: EvidenceFile | None


class DocumentReceived(BaseModel):
    request_id: int
    late: bool
    evidence: EvidenceFile


class ValuationQuery(BaseModel):
    query_id: int
    state: str = Field(description="open | answered | accepted | adjusted | expired")
    reasons_to_doubt: str = Field(description="why customs doubts the declared value (WTO Decision 6.1)")
    declared_value: float
    duty_rate: float
    raised_at: datetime
    deadline: datetime = Field(description="answers are accepted until then (inclusive)")
    answer: str | None
    answered_at: datetime | None
    decided_value: float | None
    duty_before: float | None
    duty_after: float | None
    decided_at: datetime | None
    version: int = Field(description="send it back as expected_version: a change made meanwhile is refused")
    answerable: bool
    past_deadline: bool


class Answer(BaseModel):
    answer: str = Field(min_length=1, max_length=20_000, description="how the price was set and what proves it")
    expected_version: int | None = Field(None, description="the query's version you read (optimistic locking)")


class Slot(BaseModel):
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    free: int


class Booking(BaseModel):
    slot_id: int
    mode: str = Field(description="on_site | remote")
    starts_at: datetime
    ends_at: datetime
    booked_at: datetime


class Inspection(BaseModel):
    task_id: int
    mode: str = Field(description="physical | remote")
    state: str
    due_at: datetime
    version: int
    slot_mode: str = Field(description="the mode of the slots it books: on_site | remote")
    remote_possible: bool = Field(description="it may switch to a remote inspection (POST .../inspection/remote)")
    booking: Booking | None
    cancellable: bool = Field(description="the booking may be cancelled (DELETE .../booking): booked, and its slot "
                                          "has not started")
    slots: list[Slot] = Field(description="free slots it may book (while an officer is assigned and none is booked)")
    evidence_open: bool = Field(description="files are taken (a booked remote inspection)")
    files: list[EvidenceFile]


class SlotChoice(BaseModel):
    slot_id: int


class RemoteRequest(BaseModel):
    expected_version: int | None = Field(None, description="the inspection's version you read")


class Signature(BaseModel):
    agree: bool = Field(description="true: you have read the undertaking's text (GET .../undertaking) and sign it")

    @field_validator("agree")
    @classmethod
    def _agreed(cls, value: bool) -> bool:
        if not value:
            raise ValueError("to sign the undertaking, agree to its text (agree: true)")
        return value


class Finding(BaseModel):
    code: str
    met: bool
    text: str


class Refusal(BaseModel):
    code: str
    text: str


class Undertaking(BaseModel):
    undertaking_id: int
    signed_by: str
    signed_at: datetime
    text: str
    verified_at: datetime | None = None
    result: str | None = Field(None, description="documents_confirmed | discrepancy | not_provided (once checked)")


class UndertakingState(BaseModel):
    signed: Undertaking | None
    eligible: bool = Field(description="it may be signed now (POST .../undertaking)")
    refusals: list[Refusal]
    findings: list[Finding] = Field(description="the importer's good standing, criterion by criterion")
    text: str | None = Field(description="the undertaking to sign, when eligible")


class Service(BaseModel):
    code: str = Field(description="preference | aeo | good_record")
    text: str
    params: dict


class Services(BaseModel):
    services: list[Service]
    good_standing: bool
    findings: list[Finding]


@control_router.get("/documents", response_model=list[DocumentRequest])
def list_documents(declaration_id: str, user: Trader, db: Session):
    """The documents customs asked for, with their due dates; late and overdue ones are marked."""
    own(db, user, declaration_id)
    return document_list(db, declaration_id)


@control_router.post("/documents/{request_id}", response_model=DocumentReceived, status_code=201)
def send_document(declaration_id: str, request_id: int, user: Trader, db: Db, request: Request,
                  file: Annotated[UploadFile, File(description="PDF, JPEG, PNG or CSV")]):
    """Send a requested document: the file is checked (type, content, size) and stored with its checksum, and
    the request marked received, in one step (a refused file stores nothing)."""
    return upload_document(db, evidence_folder(request), evidence_limits(request), user, declaration_id, request_id,
                           file)


@control_router.get("/queries", response_model=list[ValuationQuery])
def list_queries(declaration_id: str, user: Trader, db: Session):
    """The valuation queries raised on the declaration: the reasons to doubt its value, deadline, answer."""
    own(db, user, declaration_id)
    return query_list(db, declaration_id)


@control_router.post("/queries/{query_id}/answer", response_model=ValuationQuery)
def answer(declaration_id: str, query_id: int, body: Answer, user: Trader, db: Db, request: Request):
    """Answer a valuation query until its deadline (inclusive); a later answer is refused (409,
    deadline_passed) and changes nothing. Send supporting files with POST .../evidence or as documents."""
    return answer_query(db, evidence_folder(request), evidence_limits(request), user, declaration_id, query_id,
                        body.answer, body.expected_version)


def _inspection(db, declaration_id: str) -> dict:
    found = inspection_state(db, declaration_id)
    if found is None:
        raise NotFound(f"declaration {declaration_id} has no physical or remote inspection",
                       loc=["path", "declaration_id"])
    return found


@control_router.get("/slots", response_model=Inspection)
def slots(declaration_id: str, user: Trader, db: Session):
    """The declaration's inspection and the free slots of its office and mode it may book (404 without one)."""
    own(db, user, declaration_id)
    return _inspection(db, declaration_id)


@control_router.post("/inspection/remote", response_model=Inspection)
def go_remote(declaration_id: str, user: Trader, db: Db,
              body: Annotated[RemoteRequest | None, Body()] = None):
    """Ask for a remote inspection instead of a physical one (before booking; only when every reason of the
    selection can be checked on photos, videos and documents)."""
    return ask_remote(db, user, declaration_id, body.expected_version if body else None)


@control_router.post("/booking", response_model=Inspection, status_code=201)
def booking(declaration_id: str, body: SlotChoice, user: Trader, db: Db):
    """Book a slot for the declaration's inspection; a full slot, or one of another mode or office, is refused."""
    return book_slot(db, user, declaration_id, body.slot_id)


@control_router.delete("/booking", response_model=Inspection)
def cancel_booking(declaration_id: str, user: Trader, db: Db):
    """Cancel the booking of the declaration's inspection before its slot starts: the slot is free again and
    another one may be booked (POST .../booking). Refused (409) when nothing is booked (not_booked) or the slot
    has started (cancel_refused)."""
    return cancel_slot(db, user, declaration_id)


@control_router.post("/evidence", response_model=EvidenceFile, status_code=201)
def evidence(declaration_id: str, user: Trader, db: Db, request: Request,
             file: Annotated[UploadFile, File(description="JPEG, PNG, MP4, WebM, PDF or CSV")]):
    """Upload a photo, video or document for the declaration's booked remote inspection."""
    return upload_evidence(db, evidence_folder(request), evidence_limits(request), user, declaration_id, file)


@control_router.get("/undertaking", response_model=UndertakingState)
def undertaking(declaration_id: str, user: Trader, db: Session, request: Request):
    """The declaration's undertaking if signed; else whether it may be released on one, why (not), and the text
    to sign."""
    own(db, user, declaration_id)
    return undertaking_state(request, db, user, declaration_id)


@control_router.post("/undertaking", response_model=Undertaking, status_code=201)
def sign_undertaking(declaration_id: str, body: Signature, user: Trader, db: Db, request: Request):
    """Promise-based release: sign the undertaking instead of sending the documents now; the declaration goes to
    the blue lane and is released at once, its documents checked after release. Refused (409, with the reason's
    code as type) when it is not in the yellow lane, already controlled or signed, or the trader is not in good
    standing."""
    return sign(request, db, user, declaration_id)


@control_router.get("/services", response_model=Services)
def services(declaration_id: str, user: Trader, db: Session, request: Request):
    """The facilitations applied to the declaration without an application, and the importer's good standing."""
    found = control_service.declaration_detail(db, user, declaration_id)
    if found is None:
        raise NotFound(f"no declaration {declaration_id}", loc=["path", "declaration_id"])
    return services_of(db, risk_config(request), found["declaration"])
