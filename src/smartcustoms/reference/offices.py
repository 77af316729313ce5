"""Customs offices as reference data that an administrator keeps: which offices exist, which modes of transport
each clears and how it inspects (on site, at the desk, remotely).

The list is a YAML file (``offices.yaml`` beside this module by default; an administration keeps its own and
points ``SMARTCUSTOMS_OFFICES_FILE`` at it). Lodging refuses a declaration at an office that is not listed,
no longer active, or that does not clear the declaration's mode of transport, with a ``Refusal`` on the field
``office_id`` (or ``transport_mode``).

    offices = load_offices()                   # the list in force
    offices.check("PORT-NORTH", "1")           # None, or raises Refusal
    offices.refusal("NOWHERE", "1")            # the Refusal, or None
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from smartcustoms.refusals import Refusal

SHIPPED = Path(__file__).with_name("offices.yaml")
TRANSPORT_MODES = ("1", "2", "3", "4", "5", "7", "8", "9")  # UN/ECE Recommendation 19
CONTROLS = ("physical", "documentary", "remote")


class OfficesFileError(ValueError):
    """An offices file that cannot be read, or holds something else than offices."""


@dataclass(frozen=True)
class Office:
    office_id: str
    name: str
    transport: frozenset[str] | None  # None: every mode
    controls: frozenset[str]
    active: bool = True

    def clears(self, transport_mode: str | None) -> bool:
        return self.transport is None or transport_mode is None or str(transport_mode) in self.transport


@dataclass(frozen=True)
class Offices:
    by_id: dict[str, Office]
    source: str

    def __contains__(self, office_id: object) -> bool:
        office = self.by_id.get(str(office_id))
        return office is not None and office.active

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, office_id: str) -> Office | None:
        return self.by_id.get(office_id)

    def remote(self) -> list[str]:
        """The active offices that inspect remotely."""
        return sorted(o.office_id for o in self.by_id.values() if o.active and "remote" in o.controls)

    def refusal(self, office_id: str | None, transport_mode: str | None = None) -> Refusal | None:
        """Why a declaration at this office (by this mode of transport) cannot be lodged, or None."""
        office = self.by_id.get(str(office_id)) if office_id is not None else None
        if office is None:
            return Refusal("office_unknown", f"unknown customs office {office_id!r}: lodge at one of the offices "
                           f"in the reference list", field="office_id", office_id=office_id)
        if not office.active:
            return Refusal("office_inactive", f"customs office {office_id} no longer takes declarations",
                           field="office_id", office_id=office_id)
        if not office.clears(transport_mode):
            return Refusal("office_transport_mode", f"customs office {office_id} does not clear goods carried by "
                           f"transport mode {transport_mode} (it clears {', '.join(sorted(office.transport))})",
                           field="transport_mode", office_id=office_id, transport_mode=transport_mode,
                           modes=sorted(office.transport))
        return None

    def check(self, office_id: str | None, transport_mode: str | None = None) -> None:
        refused = self.refusal(office_id, transport_mode)
        if refused is not None:
            raise refused

    def rows(self) -> list[dict]:
        """One dict per office (for tables and exports)."""
        return [{"office_id": o.office_id, "name": o.name,
                 "transport": ", ".join(sorted(o.transport)) if o.transport is not None else "all",
                 "controls": ", ".join(c for c in CONTROLS if c in o.controls), "active": o.active}
                for o in sorted(self.by_id.values(), key=lambda o: o.office_id)]


def _office(office_id: str, entry: object) -> Office:
    if not isinstance(entry, dict):
        raise OfficesFileError(f"office {office_id}: expected a mapping (name, transport, controls, active)")
    unknown = set(entry) - {"name", "transport", "controls", "active"}
    if unknown:
        raise OfficesFileError(f"office {office_id}: unknown key(s) {sorted(unknown)}")
    transport = entry.get("transport")
    if transport is not None:
        transport = frozenset(str(mode) for mode in transport)
        if not transport or transport - set(TRANSPORT_MODES):
            raise OfficesFileError(f"office {office_id}: transport must list modes among "
                                   f"{', '.join(TRANSPORT_MODES)}")
    controls = frozenset(entry.get("controls") or ("physical", "documentary"))
    if controls - set(CONTROLS):
        raise OfficesFileError(f"office {office_id}: controls must be among {', '.join(CONTROLS)}")
    active = entry.get("active", True)
    if not isinstance(active, bool):
        raise OfficesFileError(f"office {office_id}: active must be true or false")
    return Office(office_id, str(entry.get("name") or office_id), transport, controls, active)


def parse_offices(text: str, source: str = "<text>") -> Offices:
    """Offices from the YAML text of an offices file."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OfficesFileError(f"{source}: not YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("offices"), dict) or not data["offices"]:
        raise OfficesFileError(f"{source}: expected a mapping 'offices' of office IDs")
    return Offices({str(k): _office(str(k), v) for k, v in data["offices"].items()}, source)


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Offices:
    return parse_offices(Path(path).read_text(encoding="utf-8"), path)


def load_offices(path: Path | str | None = None) -> Offices:
    """The offices of `path` (default: the shipped list), read again when the file changes."""
    path = Path(path) if path is not None else SHIPPED
    try:
        return _load(str(path), path.stat().st_mtime)
    except OSError as exc:
        raise OfficesFileError(f"{path}: {exc.strerror or exc}") from None
