"""What the accounts' use cases give out: a user (with the scopes that bound what they see) and an API token."""

from dataclasses import dataclass, field
from datetime import datetime

ROLES = ("trader", "officer", "analyst", "supervisor", "admin")
SCOPE_KINDS = ("importer", "declarant", "office")
CHANNELS = ("api", "file", "form")


@dataclass(frozen=True)
class User:
    user_id: int
    username: str
    role: str
    active: bool = True
    importer_ids: tuple[str, ...] = ()
    declarant_ids: tuple[str, ...] = ()
    office_ids: tuple[str, ...] = ()
    created_at: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Token:
    token_id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
