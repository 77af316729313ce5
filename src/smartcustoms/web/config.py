"""The web's settings: the platform's settings plus what only the server needs (env vars SMARTCUSTOMS_*)."""

from functools import lru_cache
from typing import Literal

from pydantic import Field

from smartcustoms.settings import Settings


class WebSettings(Settings):
    refit_minutes: float | None = Field(None, gt=0, description="refit the risk engine this often (default: "
                                        "at startup and on an admin's request only)")
    cookie_secure: bool | None = Field(None, description="send cookies over HTTPS only; by default (unset) on, "
                                       "except for a site reached as localhost, 127.0.0.1 or ::1")
    trusted_proxies: list[str] = Field(default_factory=list, description="addresses or networks (JSON list, "
                                       "e.g. [\"10.0.0.5\", \"10.1.0.0/16\"]) of the reverse proxies whose "
                                       "X-Forwarded-For names the client (login throttling); none by default: the "
                                       "header is ignored")
    session_hours: float = Field(12, gt=0, description="a session cookie's lifetime")
    login_limit: int = Field(5, ge=1, description="failed logins per username or address before refusing")
    login_window_minutes: float = Field(15, gt=0, description="the window in which failed logins count")
    password_time_cost: int = Field(3, ge=1, description="argon2id iterations")
    password_memory_kib: int = Field(65536, ge=32, description="argon2id memory (KiB)")
    password_parallelism: int = Field(4, ge=1, le=64, description="argon2id lanes, each hashed by a thread of "
                                      "its own")
    token_cache_seconds: float = Field(10, ge=0, description="how long a server keeps an API token it has "
                                       "checked (a revoked token or disabled account is refused at once all the "
                                       "same: the accounts' change counter; 0: look it up on every request)")
    remote_offices: list[str] = Field(default_factory=list, description="offices whose red-lane tasks may be "
                                      "remote inspections (JSON list)")
    batch_wait_ms: float = Field(20, ge=0, description="the longest a batch waits for submissions to join it "
                                 "(it closes sooner when a millisecond brings none)")
    lodging_process: bool = Field(True, description="store, assess and record lodged declarations in a process "
                                  "of its own (on a file or server database), beside the one that answers")
    lodging_processes: int = Field(1, ge=1, le=16, description="how many such processes lodge batches side by side "
                                   "(each holds a copy of the risk engine in memory; more than one pays where the "
                                   "server has cores to spare)")
    sqlite_synchronous: Literal["normal", "full"] = Field(
        "normal", description="SQLite: whether each commit of the lodging process waits for the "
        "disk (full), or only their checkpoints do, every 0.2 s (normal: a power cut can undo the last fraction of "
        "a second of lodgings; a crash of the server, none)")
    batch_max: int = Field(256, ge=1, description="the most declarations assessed in one batch")
    upload_max_bytes: int = Field(10_000_000, ge=1, description="the largest declarations file accepted")
    page_size: int = Field(50, ge=1, le=500)
    trail_seal_seconds: float = Field(5, ge=0, description="how often the server seals the audit trail's chains "
                                      "(decisions, overrides, task events, outcomes; 0: only `smartcustoms trail "
                                      "seal`)")


@lru_cache
def get_web_settings() -> WebSettings:
    return WebSettings()
