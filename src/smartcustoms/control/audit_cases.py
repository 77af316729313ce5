"""Post-clearance audit cases: plan them from the audit trail, open, record findings (as outcomes), close.

A case goes planned -> open (an auditor takes it) -> closed (every declaration in it has a finding). Each
finding is one outcome row (control type "audit", selection reason "audit", with the case ID), so it feeds
hit rates and trader histories at the next assessment like any other control.

The life cycle's rules on the input; the SQL is in ``control.repository.audit_cases``, the use cases (one
transaction each) in ``control.service``.
"""

import math
from datetime import datetime

from smartcustoms.outcomes.infringements import INFRINGEMENTS


class AuditCaseError(ValueError):
    """A step the audit case life cycle does not allow, or a finding that does not add up."""


def named(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise AuditCaseError(f"{what} must be named")
    return value


def not_before_planning(case, at: datetime, what: str) -> None:
    if at < case.planned_at:
        raise AuditCaseError(f"audit case {case.case_id}: {what} at {at:%Y-%m-%d %H:%M}, before it was planned "
                             f"({case.planned_at:%Y-%m-%d %H:%M})")


def infringements_named(values) -> list[str]:
    if values is None:
        return []
    items = values.split(",") if isinstance(values, str) else list(values)
    items = [str(v).strip() for v in items if str(v).strip()]
    unknown = [v for v in items if v not in INFRINGEMENTS]
    if unknown:
        raise AuditCaseError(f"unknown infringement(s) {', '.join(map(repr, unknown))}: allowed are "
                             f"{', '.join(INFRINGEMENTS)}")
    return list(dict.fromkeys(items))


def amount(value, what: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise AuditCaseError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(value) or value < 0:
        raise AuditCaseError(f"{what} must be a number >= 0, got {value!r}")
    return value
