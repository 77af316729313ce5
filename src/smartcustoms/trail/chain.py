"""Hash chains, pure: a row's hash is the SHA-256 of its canonical JSON (keys sorted, datetimes ISO 8601, floats
as Python writes them); a link's hash covers the link before it, the row's key and the row's hash. Editing a row
changes its hash; editing, inserting or deleting a link breaks every link after it."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

GENESIS = "0" * 64


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def row_hash(row: dict) -> str:
    text = json.dumps({key: _plain(value) for key, value in row.items()}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def link_hash(previous: str, table: str, row_id: int, row_digest: str) -> str:
    return hashlib.sha256(f"{previous}|{table}|{row_id}|{row_digest}".encode()).hexdigest()


@dataclass(frozen=True)
class Link:
    seq: int
    row_id: int
    row_hash: str
    prev_hash: str
    link_hash: str


@dataclass
class Finding:
    row_id: int | None
    seq: int | None
    problem: str  # edited | deleted | inserted | link_broken

    def __str__(self) -> str:
        where = f"row {self.row_id}" if self.row_id is not None else f"link {self.seq}"
        return f"{where}: {self.problem}"


def extend(table: str, last: Link | None, rows: list[tuple[int, dict]]) -> list[Link]:
    """Links for `rows` (id, row) appended after `last`."""
    out, previous, seq = [], last.link_hash if last else GENESIS, last.seq if last else 0
    for row_id, row in rows:
        seq += 1
        digest = row_hash(row)
        link = Link(seq, row_id, digest, previous, link_hash(previous, table, row_id, digest))
        out.append(link)
        previous = link.link_hash
    return out


def verify(table: str, links: list[Link], rows: dict[int, dict]) -> tuple[list[Finding], int]:
    """Findings for a table's links (in seq order) against its rows now (id -> row); and how many rows are newer
    than the last link (not sealed yet: neither proven nor suspect)."""
    findings: list[Finding] = []
    previous, sealed = GENESIS, set()
    for position, link in enumerate(links, start=1):
        if link.seq != position or link.prev_hash != previous or \
                link.link_hash != link_hash(link.prev_hash, table, link.row_id, link.row_hash):
            findings.append(Finding(link.row_id, link.seq, "link_broken"))
        previous = link.link_hash
        sealed.add(link.row_id)
        row = rows.get(link.row_id)
        if row is None:
            findings.append(Finding(link.row_id, link.seq, "deleted"))
        elif row_hash(row) != link.row_hash:
            findings.append(Finding(link.row_id, link.seq, "edited"))
    highest = max(sealed) if sealed else 0
    findings += [Finding(row_id, None, "inserted") for row_id in sorted(rows) if row_id <= highest
                 and row_id not in sealed]
    unsealed = sum(1 for row_id in rows if row_id > highest)
    return findings, unsealed
