"""Lodging declarations through the web: who may lodge what, and the batch step that stores, assesses and
records them (idempotent by declaration ID), reusing the import and risk functions of the command line."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from smartcustoms.accounts.service import User
from smartcustoms.control.service import lodging, reasons
from smartcustoms.control.service.lodging import StoredMeanwhile
from smartcustoms.declarations.schemas import Declaration
from smartcustoms.declarations.service import HEADER_FIELDS, ITEM_FIELDS, VALID_COLUMNS, flatten, load_declarations
from smartcustoms.reference.offices import load_offices
from smartcustoms.refusals import Refusal
from smartcustoms.risk.service import RiskEngine, assess
from smartcustoms.settings import get_settings
from smartcustoms.store.db import utc_now
from smartcustoms.web.errors import Conflict, Forbidden, Invalid

LODGING_ROLES = ("trader", "admin")  # admin: for systems that lodge on behalf of every trader
ACTOR = "web"


@dataclass
class Submission:
    """One declaration to lodge: its goods-item rows (tuples in VALID_COLUMNS order, as validation gives them)
    and who sends it how."""

    declaration_id: str
    content_hash: str
    rows: list[tuple]
    user: User
    channel: str  # api | file | form

    @property
    def importer_id(self) -> str:
        return self.rows[0][_AT["importer_id"]]

    @property
    def declarant_id(self) -> str:
        return self.rows[0][_AT["declarant_id"]]

    @property
    def office_id(self) -> str:
        return self.rows[0][_AT["office_id"]]

    @property
    def transport_mode(self) -> str:
        return self.rows[0][_AT["transport_mode"]]


_AT = {name: at for at, name in enumerate(VALID_COLUMNS)}


@dataclass(frozen=True)
class Assessed:
    declaration_id: str
    lane: str
    source: str
    risk_score: float
    reasons: list[dict] = field(default_factory=list)
    status: str = "assessed"
    created: bool = False  # True for the submission that stored it, False for a repeat


def may_lodge(user: User, importer_id: str, declarant_id: str) -> bool:
    """Traders lodge for their own importer or declarant IDs; admins (system accounts) for anyone."""
    if user.role == "admin":
        return True
    return user.role == "trader" and (importer_id in user.importer_ids or declarant_id in user.declarant_ids)


def not_permitted(user: User, importer_id: str, declarant_id: str) -> Forbidden:
    return Forbidden(f"{user.username} may not lodge declarations for importer {importer_id} "
                     f"with declarant {declarant_id}", loc=["body", "importer_id"])


def from_declaration(declaration: Declaration, user: User, channel: str) -> Submission:
    """A validated declaration (the API's JSON body, a form) as a Submission; its time is stored as naive UTC."""
    moment = declaration.acceptance_datetime
    if moment.tzinfo is not None:
        declaration = declaration.model_copy(
            update={"acceptance_datetime": moment.astimezone(UTC).replace(tzinfo=None)})
    rows = flatten(declaration, 1)
    return Submission(declaration.declaration_id, rows[0][-1], rows, user, channel)


def split(valid: pd.DataFrame, user: User, channel: str) -> list[Submission]:
    """Validated rows (validate()'s ``valid`` frame) as one Submission per declaration, in file order. A
    declaration that the file holds twice (a JSON file: two records, each valid) is two Submissions, lodged as a
    repeat or refused as a conflict like any other, never merged into one with its goods items twice."""
    out: list[Submission] = []
    current: dict[str, Submission] = {}  # ID -> the submission its next item rows join
    for row in valid[VALID_COLUMNS].itertuples(index=False, name=None):
        key = row[_AT["declaration_id"]]
        found = current.get(key)
        if found is None or found.content_hash != row[-1] or any(
                other[_AT["item_number"]] == row[_AT["item_number"]] for other in found.rows):
            found = current[key] = Submission(key, row[-1], [], user, channel)
            out.append(found)
        found.rows.append(row)
    return out


def _result(declaration_id: str, decision: dict, status: str, created: bool) -> Assessed:
    return Assessed(declaration_id, decision["final_lane"], decision["source"], round(float(decision["risk_score"]), 4),
                    reasons(decision["explanation"]), status, created)


def _new_rows(new: list[Submission]) -> dict[str, list[tuple]]:
    """The rows that store the declarations seen first in a batch (control.service.record_lodging): headers,
    goods items, and who lodged each how."""
    return {"headers": [tuple(submission.rows[0][at_] for at_ in _HEADER_AT) for submission in new],
            "items": [tuple(row[at_] for at_ in _ITEM_AT) for submission in new for row in submission.rows],
            "lodged_by": [(s.declaration_id, s.user.user_id, s.channel) for s in new]}


_HEADER_AT = [_AT[name] for name in [*HEADER_FIELDS, "content_hash"]]
_ITEM_AT = [_AT[name] for name in ["declaration_id", *ITEM_FIELDS]]
ATTEMPTS = 3  # a write that meets an ID stored meanwhile by another writer is retried


def lodge(db: Engine, risk: RiskEngine, batch: list[Submission], *, at: datetime | None = None,
          remote_offices: Collection[str] = ()) -> list:
    """Store, assess and record a batch of submissions; one result per submission, in order: an Assessed, or
    the error for that submission alone (Conflict for an ID stored with other content, Forbidden when its
    sender may not lodge it).

    A declaration already stored with the same content is not stored again; it gets its newest decision (and
    is assessed only if it has none). Permissions are checked here too, whatever the caller did.

    Everything a batch writes (declarations, their import batch row, submissions, the assessment, its
    decisions and the control chain they open: clearance rows and, for red and yellow, inspection tasks, with
    offices in `remote_offices` inspecting remotely where the reasons allow) goes in one transaction: a batch is
    lodged whole or not at all. The assessment itself (CPU only)
    runs before that transaction, so the database's write lock is held for the inserts alone."""
    at = at or utc_now()
    for attempt in range(ATTEMPTS):
        try:
            return _lodge_once(db, risk, batch, at, remote_offices)
        except StoredMeanwhile:  # another writer stored one of these IDs meanwhile: the next try sees it
            if attempt == ATTEMPTS - 1:
                raise
        except IntegrityError:
            # another writer stored one of these IDs meanwhile (the next try sees it), or a record breaks a rule of
            # the database by itself: that one is refused alone (the batcher lodges a failed batch's submissions
            # one by one, so that only the offender fails; issue 14)
            if attempt == ATTEMPTS - 1 or not _stored_now(db, batch):
                if len(batch) == 1:
                    return [_unstorable(batch[0].declaration_id)]
                raise
    raise AssertionError("unreachable")


def _stored_now(db: Engine, batch: list[Submission]) -> bool:
    """Whether one of the batch's IDs is stored (by another writer, since our read)."""
    return lodging.any_stored(db, list({s.declaration_id for s in batch}))


def _unstorable(declaration_id: str) -> Invalid:
    return Invalid([{"loc": ["body", "declaration_id"], "type": "unstorable",
                     "msg": f"declaration {declaration_id} breaks a rule of the database and was not stored"}])


def _lodge_once(db: Engine, risk: RiskEngine, batch: list[Submission], at: datetime,
                remote_offices: Collection[str]) -> list:
    results: list = [None] * len(batch)
    ids = list(dict.fromkeys(s.declaration_id for s in batch))
    stored, decided, statuses = lodging.lodged(db, ids)

    first: dict[str, int] = {}  # ID -> the submission that stores it
    offices = load_offices(get_settings().offices_file)  # the reference in force (read again when it changes)
    for i, submission in enumerate(batch):
        key = submission.declaration_id
        known = stored.get(key, batch[first[key]].content_hash if key in first else None)
        if not may_lodge(submission.user, submission.importer_id, submission.declarant_id):
            results[i] = not_permitted(submission.user, submission.importer_id, submission.declarant_id)
        elif known is not None and known != submission.content_hash:
            results[i] = _conflict(key)
        elif known is None and (refused := offices.refusal(submission.office_id,
                                                           submission.transport_mode)) is not None:
            results[i] = refused_field(refused)  # reference data: an office that is not (or no longer) one
        elif known is None:
            first[key] = i

    pending = {s.declaration_id for i, s in enumerate(batch) if results[i] is None}
    undecided = [key for key in ids if key in stored and key not in decided and key in pending]
    assessed = None
    if first or undecided:
        frame = pd.DataFrame([row[1:-1] for i in first.values() for row in batch[i].rows],  # FIELDS' values
                             columns=HEADER_FIELDS + ITEM_FIELDS)
        if undecided:  # stored by an import, or a batch that failed after storing: assess them now
            frame = pd.concat([part for part in (frame, load_declarations(db, ids=undecided))
                               if len(part)], ignore_index=True)
        assessed = assess(frame, risk, explained=True)

    if first or assessed is not None:
        lodging.record_lodging(db, ACTOR, **_new_rows([batch[i] for i in first.values()]), at=at,
                                       assessed=assessed, provenance=risk.provenance(),
                                       remote_offices=remote_offices)
        if assessed is not None:  # their chain is open: held for control, or released
            statuses.update({key: "held" if lane in ("red", "yellow") else "released"
                             for key, lane in zip(assessed["declaration_id"], assessed["lane"])})
        if assessed is not None:
            names = ["final_lane", "source", "risk_score", "explanation"]  # a new decision: its lane is final
            columns = ["lane" if name == "final_lane" else name for name in names]
            for key, *values in zip(*(assessed[name].tolist() for name in ["declaration_id", *columns])):
                decided[key] = dict(zip(names, values))
    for i, submission in enumerate(batch):
        key = submission.declaration_id
        if results[i] is None:
            results[i] = _result(key, decided[key], statuses.get(key, "assessed"), first.get(key) == i)
    return results


def refused_field(refusal: Refusal) -> Invalid:
    """A service's refusal of one field as the web's 422 (its code is the problem's type)."""
    error = Invalid([{"loc": ["body", refusal.field], "msg": refusal.message, "type": refusal.code}])
    error.message, error.loc, error.type = refusal.message, ["body", refusal.field], refusal.code
    return error


def _conflict(declaration_id: str) -> Conflict:
    return Conflict(f"declaration {declaration_id} was lodged before with other content: it is not overwritten "
                    f"(lodge an amendment under a new ID)", loc=["body", "declaration_id"])
