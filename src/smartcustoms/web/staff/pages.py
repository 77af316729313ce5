"""Staff pages: the search box's results (GET /staff/search?q=) and every declaration's page
(GET /staff/declarations/{id}), for officers (their offices), analysts, supervisors and administrators."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from smartcustoms.accounts.service import User
from smartcustoms.web.deps import Db, require_page
from smartcustoms.web.errors import NotFound
from smartcustoms.web.render import render
from smartcustoms.web.staff import presenters

router = APIRouter(prefix="/staff", include_in_schema=False)
Staff = Annotated[User, require_page(*presenters.ROLES)]


@router.get("/search", name="staff_search")
def search(request: Request, user: Staff, db: Db, q: Annotated[str, Query(max_length=100)] = ""):
    rows = presenters.search(db, user, q)
    only = presenters.exact(rows, q)
    if only is not None:  # a declaration ID typed whole: straight to it (even when longer IDs begin with it)
        return RedirectResponse(request.app.url_path_for("staff_declaration", declaration_id=only), 303)
    return render(request, "staff/search.html", {"q": q, "rows": rows, "limit": presenters.LIMIT,
                                                   "search_fields": presenters.SEARCH_FIELDS})


@router.get("/declarations/{declaration_id}", name="staff_declaration")
def declaration(request: Request, declaration_id: str, user: Staff, db: Db):
    found = presenters.declaration(db, user, declaration_id)
    if found is None:
        raise NotFound(f"no declaration {declaration_id}")
    return render(request, "staff/declaration.html", found)
