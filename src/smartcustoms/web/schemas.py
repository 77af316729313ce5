"""What the API answers with (pydantic models: they make the OpenAPI document)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from smartcustoms.declarations.schemas import Declaration

Lane = Literal["green", "blue", "yellow", "red"]


class Reason(BaseModel):
    kind: str = Field(description="random | profile | screen | capacity")
    name: str = Field(description="the profile ID or the screen (valuation, classification, origin, trader, model)")
    text: str


class Assessment(BaseModel):
    declaration_id: str
    lane: Lane
    source: str = Field(description="what chose the lane: profile | screen | model | random | none")
    risk_score: float
    reasons: list[Reason]
    status: str = Field(description="lodged | assessed | held | released | detained | seized")


WhatToDo = Literal["nothing", "keep_documents", "answer_requests", "book_inspection", "wait", "assessing"]


class TraderAssessment(BaseModel):
    """What a trader is told (web/trader_view.py): the lane and what to do; how customs chose stays with customs."""

    declaration_id: str
    lane: Lane
    status: str = Field(description="lodged | assessed | held | released | detained | seized")
    what_to_do: WhatToDo = Field(description="nothing (released) | keep_documents (released, may be audited) | "
                                             "answer_requests (documents checked) | book_inspection (goods "
                                             "inspected) | wait (goods stopped) | assessing")


class DeclarationSummary(BaseModel):
    declaration_id: str
    acceptance_datetime: datetime
    office_id: str
    importer_id: str
    declarant_id: str
    lane: Lane | None
    status: str


class DeclarationList(BaseModel):
    items: list[DeclarationSummary]
    total: int
    limit: int
    offset: int


class TimelineEvent(BaseModel):
    at: datetime
    event: str = Field(description="lodged | lane | override | task | outcome | released")
    value: str | None = Field(None, description="the lane, task state or control result")
    note: str | None = None


class DeclarationDetail(BaseModel):
    declaration: Declaration
    lane: Lane | None
    source: str | None
    risk_score: float | None
    reasons: list[Reason]
    status: str
    timeline: list[TimelineEvent]


class TraderDeclarationDetail(BaseModel):
    """A declaration as its trader sees it: no source, risk score or reasons (web/trader_view.py)."""

    declaration: Declaration
    lane: Lane | None
    status: str
    what_to_do: WhatToDo
    timeline: list[TimelineEvent]


class Reject(BaseModel):
    row_number: int | None = None
    declaration_id: str | None = None
    field: str | None = None
    value: str | None = None
    reason: str


class FileResult(BaseModel):
    accepted: int = Field(description="declarations stored (or found stored already) and assessed")
    rejected: int = Field(description="declarations refused: invalid, conflicting, or not yours to lodge")
    results: list[Assessment | TraderAssessment] = Field(description="a trader's: TraderAssessment")
    rejects: list[Reject]
    warnings: list[str]


class Me(BaseModel):
    username: str
    role: str
    importer_ids: list[str]
    declarant_ids: list[str]
    office_ids: list[str]


class RiskEngineInfo(BaseModel):
    fitted_at: datetime | None
    as_of: datetime | None
    screens: list[str]
    profiles: dict[str, int | None]
    model_version: str | None


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    detail: list[ErrorItem]


ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 409, 413, 422, 429)}
