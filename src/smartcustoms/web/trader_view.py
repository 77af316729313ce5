"""What a trader is told about a decision: the lane and what to do, never how customs chose it.

Selection criteria are confidential in every customs administration: a trader who learns the profile that fired,
its thresholds, the risk score or the model's features learns how to stay under them. So every answer a trader
gets (pages and API) goes through ``for_trader``: it keeps the lane, the status and a ``what_to_do`` code, and
drops ``source`` (profile | screen | model | random), ``risk_score`` and ``reasons``. A valuation query gives the
trader the reasons to doubt that an officer wrote for the trader (WTO Decision 6.1), never the profile.

Staff (officers, analysts, supervisors, administrators) see everything.
"""

from collections.abc import Mapping

STAFF_ROLES = ("officer", "analyst", "supervisor", "admin")
CONFIDENTIAL = ("source", "risk_score", "reasons")
WHAT_TO_DO = {  # code -> what the trader must do (the portal words it; see templates/portal/declaration.html)
    "nothing": "the goods are released: nothing more to do",
    "keep_documents": "the goods are released; customs may audit the declaration later: keep its documents",
    "answer_requests": "customs checks the documents: answer any request for documents or question on the value",
    "book_inspection": "customs inspects the goods: book an inspection slot when asked, answer any request",
    "wait": "the goods are stopped after the control: the decision is sent separately",
    "assessing": "the declaration is being assessed",
}


def is_trader(role: str | None) -> bool:
    return role not in STAFF_ROLES


def what_to_do(lane: str | None, status: str | None) -> str:
    """The code of what the trader must do now, from the lane and the status of the declaration."""
    if status in ("detained", "seized"):
        return "wait"
    if lane is None:
        return "assessing"
    if lane == "green" or (status == "released" and lane in ("yellow", "red")):
        return "nothing"
    if lane == "blue":
        return "keep_documents"
    return "answer_requests" if lane == "yellow" else "book_inspection"


def for_trader(answer: Mapping) -> dict:
    """An assessment or declaration answer without what stays with customs, with ``what_to_do``."""
    out = {key: value for key, value in answer.items() if key not in CONFIDENTIAL}
    out["what_to_do"] = what_to_do(answer.get("lane"), answer.get("status"))
    return out


def for_role(answer: Mapping, role: str | None) -> dict:
    """Everything for staff; ``for_trader`` for anybody else."""
    return dict(answer) if not is_trader(role) else for_trader(answer)
