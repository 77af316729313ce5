"""What the staff pages and API show: search results and a declaration with its whole history, in time order."""

import json

from smartcustoms.accounts.service import Bind, User
from smartcustoms.control import service as control_service
from smartcustoms.control.service import reads as control_reads
from smartcustoms.risk import service as risk_service
from smartcustoms.web.i18n import N_

ROLES = ("officer", "analyst", "supervisor", "admin")  # staff: traders have their portal
LIMIT = 50
SEARCH_FIELDS = {"declaration_id": N_("declaration ID"), "importer_id": N_("importer"),
                 "declarant_id": N_("declarant"), "seller_id": N_("seller"), "carrier_id": N_("carrier"),
                 "documents": N_("transport document or container")}


def search(bind: Bind, user: User, text: str, limit: int = LIMIT) -> list[dict]:
    """Declarations the user may see matching `text` (declarations.repository.search)."""
    return control_reads.search_declarations(bind, user, text, limit)


def exact(rows: list[dict], text: str) -> str | None:
    """The declaration whose ID is exactly `text` (case-insensitive), if the results hold it."""
    wanted = (text or "").strip().upper()
    return next((r["declaration_id"] for r in rows if r["declaration_id"].upper() == wanted), None)


def declaration(bind: Bind, user: User, declaration_id: str) -> dict | None:
    """scoped.detail (staff: reasons, score, notes), what the screens could not check and the declaration's
    inspection tasks; None when the user may not see it."""
    found = control_service.declaration_detail(bind, user, declaration_id)
    if found is None:
        return None
    found["tasks"] = control_reads.declaration_tasks(bind, declaration_id)
    decision = risk_service.latest_decisions(bind, ids=[declaration_id], by_declaration=True).get(declaration_id)
    found["not_checked"] = not_checked(decision["explanation"] if decision else None)
    return found


def not_checked(explanation: str | dict | None) -> dict:
    """A decision's "not checked" notes: ``notes`` as recorded in English, ``codes`` the same as codes and
    parameters (newer decisions: the page writes them in the reader's words)."""
    data = json.loads(explanation) if isinstance(explanation, str) else (explanation or {})
    return {"notes": [note for note in data.get("not_checked") or [] if note],
            "codes": data.get("not_checked_reasons") or []}
