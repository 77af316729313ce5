"""Staff API: the search (GET /api/v1/search?q=)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from smartcustoms.accounts.service import User
from smartcustoms.web.deps import Db, require
from smartcustoms.web.staff import presenters

router = APIRouter(prefix="/api/v1", tags=["search"])
Staff = Annotated[User, require(*presenters.ROLES)]


class Found(BaseModel):
    declaration_id: str
    acceptance_datetime: datetime
    office_id: str
    importer_id: str
    declarant_id: str
    matched: str = Field(description="declaration_id | importer_id | declarant_id | seller_id | carrier_id | "
                                     "documents (a transport document or container number)")


@router.get("/search", response_model=list[Found])
def search(user: Staff, db: Db, q: Annotated[str, Query(min_length=1, max_length=100)]):
    """Declarations the caller may see by declaration ID (whole or its beginning), importer, declarant, seller,
    carrier, transport document or container number; newest first, at most 50."""
    return presenters.search(db, user, q)
