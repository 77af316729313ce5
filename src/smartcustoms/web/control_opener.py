"""The control chain for what the web lodges: every few seconds, the declarations assessed since get their
clearance row (green and blue released, red and yellow held) and, in the red and yellow lanes, their
inspection task, as `smartcustoms control open` does after an import. Lodging stays as fast as it was, and an
officer sees a new red-lane declaration in the queue within `control_open_seconds`."""

import asyncio
import logging
import threading
from collections.abc import Iterable

from sqlalchemy import Engine

from smartcustoms.control.inspections import open_controls

log = logging.getLogger(__name__)


class ControlOpener:
    def __init__(self, db: Engine, *, remote_offices: Iterable[str] = ()):
        self.db = db
        self.remote_offices = tuple(remote_offices)
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def add(self, declaration_ids: Iterable[str]) -> None:
        with self._lock:
            self._pending.update(declaration_ids)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def run_once(self) -> dict[str, int] | None:
        """Open the controls of the declarations added since the last run (None when there are none). On an
        error they stay pending for the next run."""
        with self._lock:
            ids, self._pending = self._pending, set()
        if not ids:
            return None
        try:
            return open_controls(self.db, declaration_ids=sorted(ids), remote_offices=self.remote_offices)
        except Exception:
            self.add(ids)
            raise


async def open_now(opener: ControlOpener) -> None:
    try:
        await asyncio.to_thread(opener.run_once)
    except Exception:  # noqa: BLE001 - they stay pending for the next run; `control open` also catches up
        log.exception("opening the controls of %s lodged declarations failed", opener.pending())


async def open_every(opener: ControlOpener, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        await open_now(opener)
