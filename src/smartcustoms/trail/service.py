"""The audit trail's use cases: seal (append the links of the rows written since the last seal, in the caller's
transaction or one of its own) and verify (which rows were edited, inserted or deleted since they were sealed).

Sealing needs no change at the insert sites: the server seals every few seconds and at shutdown, `smartcustoms
trail seal` on demand, and a row is proven from its seal on (a row edited before its first seal is not caught:
the window is the sealing period; decisions, overrides and task events are also append-only in the database)."""

from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from smartcustoms.store.db import transaction, writing
from smartcustoms.trail import chain, repository


@dataclass
class TableState:
    table: str
    sealed: int
    unsealed: int
    findings: list[chain.Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings


def seal(bind: Engine | Connection) -> dict[str, int]:
    """Append links for every chained row newer than its table's last link; returns the links added per table."""
    added = {}
    context = writing(bind) if isinstance(bind, Engine) else transaction(bind)
    with context as conn:
        for name in repository.CHAINED:
            last = repository.last_link(conn, name)
            new = chain.extend(name, last, repository.rows(conn, name, after=last.row_id if last else 0))
            repository.add_links(conn, name, new)
            added[name] = len(new)
    return added


def verify(bind: Engine | Connection) -> list[TableState]:
    """Each chained table's state: links, rows not sealed yet, and what was edited, inserted or deleted."""
    out = []
    with transaction(bind) as conn:
        for name in repository.CHAINED:
            links = repository.links(conn, name)
            findings, unsealed = chain.verify(name, links, dict(repository.rows(conn, name)))
            out.append(TableState(name, len(links), unsealed, findings))
    return out
