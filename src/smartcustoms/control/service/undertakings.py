"""Promise-based release's use cases (control.undertakings for the rules, control.repository.undertakings for the
SQL): the importer's record, eligibility, signing, verification after release, and the application-free services
a declaration gets; one transaction each."""

from collections.abc import Collection
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from smartcustoms.control.facilitation import WINDOW_DAYS, application_free_services, good_standing
from smartcustoms.control.repository import undertakings as undertaking_sql
from smartcustoms.control.undertakings import Eligibility, UndertakingError, check_signature, judged
from smartcustoms.store.db import moment, transaction, writing

__all__ = ["Eligibility", "UndertakingError"]


def importer_record(db: Engine | Connection, importer_id: str, *, aeo_importers: Collection[str] = (),
                    at: datetime | None = None, days: int = WINDOW_DAYS) -> dict:
    """The importer's record over the `days` before `at` (default now): declarations lodged, controls made and
    discrepancies found (facilitation.trader_record), and whether it is an authorised economic operator."""
    with transaction(db) as conn:
        return undertaking_sql.importer_record(conn, importer_id, aeo_importers=aeo_importers, at=at, days=days)


def eligibility(db: Engine | Connection, declaration_id: str, *, aeo_importers: Collection[str] = (),
                at: datetime | None = None, **thresholds) -> Eligibility:
    """Whether the declaration may be released on an undertaking now: its state (yellow lane, documents check
    open and not done, held, not signed) and its importer's good standing (``good_standing`` with
    `thresholds`). The basis it returns is what ``sign_undertaking`` stores."""
    at = moment(at)
    with transaction(db) as conn:
        refused, importer, record = undertaking_sql.eligibility_inputs(conn, declaration_id,
                                                                       aeo_importers=aeo_importers, at=at)
    return judged(refused, importer, record, at, **thresholds)


def free_services(db: Engine | Connection, declaration: dict, *, aeo_importers: Collection[str],
                  agreements) -> tuple[list, bool, list, dict]:
    """The application-free services a declaration (its fields and ``documents`` received) gets, and its
    importer's good standing: (services, in good standing, findings, the importer's record)."""
    record = importer_record(db, declaration["importer_id"], aeo_importers=aeo_importers)
    services = application_free_services(declaration, aeo_importers=aeo_importers, record=record,
                                         agreements=agreements)
    standing, findings = good_standing(record)
    return services, standing, findings, record


def sign_undertaking(db: Engine | Connection, declaration_id: str, *, signed_by: str, text: str, basis: dict,
                     at: datetime | None = None) -> int:
    """Sign an undertaking for a yellow-lane declaration whose documents check is not done: in one
    transaction, the undertaking row, the override to blue and the release (see control.undertakings). `basis`
    says why the trader is in good standing (``eligibility(...).basis``) and must hold ``good_standing: true``.
    Returns the undertaking ID; raises UndertakingError (nothing written) when a rule refuses it."""
    signed_by, text = check_signature(declaration_id, signed_by, text, basis)
    at = moment(at)
    for attempt in range(3):
        try:
            # writers of a SQLite file one at a time: a second signature reads the first one's undertaking, not a
            # lane the first has already moved to blue (SQLite's reads before the first write see each commit)
            with writing(db) if isinstance(db, Engine) else transaction(db) as conn:
                return undertaking_sql.sign(conn, declaration_id, signed_by, text, basis, at)
        except IntegrityError as exc:  # another signature of the same declaration won the race
            raise UndertakingError("already_signed", f"declaration {declaration_id}: an undertaking was signed "
                                                     "meanwhile") from exc
        except OperationalError:  # SQLite: another writer committed after this one read; read again
            if attempt == 2 or not isinstance(db, Engine) or db.dialect.name != "sqlite":
                raise
    raise AssertionError("unreachable")


def verify_undertaking(db: Engine | Connection, undertaking_id: int, *, verified_by: str, result: str,
                       at: datetime | None = None) -> None:
    """Record what the verification after release found: documents_confirmed, discrepancy or not_provided.
    Once only, and not before the signature."""
    with transaction(db) as conn:
        undertaking_sql.verify_undertaking(conn, undertaking_id, verified_by=verified_by, result=result, at=at)


def undertaking_of(db: Engine | Connection, declaration_id: str) -> dict | None:
    """The declaration's undertaking (basis decoded), or None."""
    with transaction(db) as conn:
        return undertaking_sql.undertaking_of(conn, declaration_id)


def undertakings_frame(db: Engine | Connection, *, unverified: bool = False) -> pd.DataFrame:
    """Undertakings, oldest first (only those awaiting verification with `unverified`)."""
    with transaction(db) as conn:
        return undertaking_sql.undertakings_frame(conn, unverified=unverified)
