"""Documentary checks: document requests and valuation queries (WTO Valuation Agreement, Decision 6.1).

Document requests: each requested document is one row, ``requested`` until it is ``received`` (linked to an
evidence row of the same declaration) or ``waived``. A document that arrives after its due date is still
accepted, since refusing it would only delay the check; the request then counts as late (``received_at >
due_at``, the ``late`` column of ``requests_frame``), which is what the KPIs measure.

Valuation queries, following Decision 6.1:

- the administration states its **reasons to doubt** the truth or accuracy of the declared value (required);
  the declared value and the duty are read from the stored goods items at that moment;
- the trader may **answer** until the deadline (inclusive); later answers are refused (``DeadlineError``);
- the administration then **decides**: ``accept`` (the declared value stands) or ``adjust`` (a new customs
  value, the duty recomputed at the declaration's effective rate). It may decide once answered, or once the
  deadline has passed without an answer (para 2: the value is then determined without the trader's reply);
- ``expire_overdue`` marks open queries past their deadline ``expired``: no answer came, a decision is still
  due (accept or adjust moves them on), and answers stay refused.

States: open -> answered -> accepted | adjusted; open -> expired -> accepted | adjusted. The decision is written
as an outcome row (control type "documentary") in the same transaction, so it feeds hit rates and trader
histories at the next assessment. Answer and decide take ``expected_version`` (optimistic locking). Each step
is also written once to the append-only ``valuation_query_events`` (who, when, what), which database triggers
keep from being changed.

The SQL is in ``control.repository.queries``, the use cases (one transaction each) in ``control.service``.
"""

from smartcustoms.refusals import Kind, Refused

MIN_REASON_WORDS = 3


class QueryError(Refused):
    """A documentary step that is not allowed (unknown ID, wrong state, bad input); ``code`` says which rule,
    ``field`` what it is about."""

    code_default = "query_refused"


class DeadlineError(QueryError):
    """An answer after the valuation query's deadline."""

    code_default = "deadline_passed"
    kind_default = Kind.CONFLICT


class ConflictError(QueryError):
    """Someone changed the row since it was read (optimistic locking)."""

    code_default = "changed_meanwhile"
    kind_default = Kind.CONFLICT


def named(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise QueryError(f"{what} must be named")
    return value
