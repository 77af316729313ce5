"""Facilitation for compliant traders (pure: no database): good standing, and the application-free services that
the data already proves.

**Good standing** is what lets a trader sign an undertaking instead of sending the supporting documents up front
(promise-based release, ``undertakings.py``). An authorised economic operator (AEO) is always in good standing.
Any other importer is when its record over the last ``WINDOW_DAYS`` (365) days shows

- at least ``min_declarations`` declarations (default 10): enough traffic to judge,
- at least ``min_controls`` controls of them (default 2): customs has looked, and
- at most ``max_discrepancies`` discrepancies found by those controls (default 0).

**Application-free services** are applied without the trader asking, when the data proves the trader is
entitled to them, and shown to the trader:

- ``preference``: a preferential rate claimed under a trade agreement that covers the goods' origin and chapter,
  backed by a certificate of origin received for the declaration;
- ``aeo``: an authorised economic operator gets fewer physical controls (the trader-risk screen scales its score
  down) and may use promise-based release;
- ``good_record``: a trader in good standing (not an AEO) is asked no documents up front: it may promise them.

Each finding and service has a stable ``code`` and ``params`` (for a translated text) and an English ``text``.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from smartcustoms.risk.origin import OriginConfig, TradeAgreement

WINDOW_DAYS = 365
MIN_DECLARATIONS = 10
MIN_CONTROLS = 2
MAX_DISCREPANCIES = 0


@dataclass(frozen=True)
class Finding:
    """One criterion of good standing: whether it is met, in words and as a code with its numbers."""

    code: str  # aeo | declarations | controls | discrepancies
    met: bool
    text: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Service:
    """A facilitation applied without an application."""

    code: str  # preference | aeo | good_record
    text: str
    params: dict = field(default_factory=dict)


def trader_record(declarations: pd.DataFrame, outcomes: pd.DataFrame, *, as_of: datetime, aeo: bool = False,
                  days: int = WINDOW_DAYS) -> dict:
    """A trader's record over the `days` before `as_of` (inclusive), the input of ``good_standing``.

    declarations: one row per declaration of the trader (columns declaration_id, acceptance_datetime);
    outcomes: the controls of those declarations (columns declaration_id, inspection_date, result). Counts
    the declarations lodged in the window, the controls made in it, and the discrepancies they found."""
    end = pd.Timestamp(as_of)
    start = end - pd.Timedelta(days=days)
    lodged = pd.to_datetime(declarations["acceptance_datetime"])
    inspected = pd.to_datetime(outcomes["inspection_date"])
    controls = outcomes.loc[(inspected > start) & (inspected <= end), "result"]
    return {
        "aeo": bool(aeo),
        "as_of": end.to_pydatetime(),
        "window_days": int(days),
        "declarations": int(((lodged > start) & (lodged <= end)).sum()),
        "controls": int(len(controls)),
        "discrepancies": int((controls == "discrepancy").sum()),
    }


def good_standing(record: Mapping, *, min_declarations: int = MIN_DECLARATIONS, min_controls: int = MIN_CONTROLS,
                  max_discrepancies: int = MAX_DISCREPANCIES) -> tuple[bool, list[Finding]]:
    """(in good standing?, the findings that say why or why not).

    `record` has ``declarations``, ``controls`` and ``discrepancies`` (counts over the window, see
    ``trader_record``; the web's compliance record has the same keys) and optionally ``aeo`` (True for an
    authorised economic operator, who is in good standing whatever the counts). Otherwise every criterion must
    be met; the findings list all three, met or not."""
    if record.get("aeo"):
        return True, [Finding("aeo", True, "authorised economic operator")]
    days = int(record.get("window_days", WINDOW_DAYS))
    lodged, checked, found = (int(record.get(key) or 0) for key in ("declarations", "controls", "discrepancies"))
    findings = [
        Finding("declarations", lodged >= min_declarations,
                f"{lodged} declarations in the last {days} days (at least {min_declarations} needed)",
                {"count": lodged, "needed": min_declarations, "days": days}),
        Finding("controls", checked >= min_controls,
                f"{checked} controls in the last {days} days (at least {min_controls} needed)",
                {"count": checked, "needed": min_controls, "days": days}),
        Finding("discrepancies", found <= max_discrepancies,
                f"{found} discrepancies found by those controls (at most {max_discrepancies} allowed)",
                {"count": found, "allowed": max_discrepancies, "days": days}),
    ]
    return all(f.met for f in findings), findings


def _as_dict(declaration) -> dict:
    return declaration.model_dump() if hasattr(declaration, "model_dump") else dict(declaration)


def _covered(agreement: TradeAgreement, origin: str, commodity_code: str) -> bool:
    chapter = (commodity_code or "")[:2]
    return origin in agreement.partners and (agreement.chapters is None or chapter in agreement.chapters)


def preferences_proven(declaration, agreements: Mapping[str, TradeAgreement] | None = None) -> list[dict]:
    """The preferences a declaration claims that its data proves: per (agreement, origin), the items claiming it
    when the agreement covers their origin and chapter and a certificate of origin was received for the
    declaration (``declaration["documents"]``: dicts with document_type, state and a name or request_id)."""
    data = _as_dict(declaration)
    agreements = OriginConfig().agreements if agreements is None else agreements
    certificates = [d for d in data.get("documents") or ()
                    if d.get("document_type") == "certificate_of_origin" and d.get("state") == "received"]
    if not certificates:
        return []
    certificate = certificates[-1]
    name = certificate.get("filename") or f"request {certificate.get('request_id')}"
    proven: dict[tuple[str, str], list[int]] = {}
    for item in data.get("items") or ():
        claim = (item.get("preference_claim") or "").strip()
        agreement = agreements.get(claim) if claim else None
        if agreement is not None and _covered(agreement, item.get("origin_country") or "",
                                              str(item.get("commodity_code") or "")):
            proven.setdefault((claim, item["origin_country"]), []).append(int(item["item_number"]))
    return [{"agreement": claim, "origin": origin, "certificate": name, "items": items}
            for (claim, origin), items in proven.items()]


def application_free_services(declaration, *, aeo_importers: Collection[str], record: Mapping | None,
                              agreements: Mapping[str, TradeAgreement] | None = None,
                              **thresholds) -> list[Service]:
    """The facilitations a declaration gets without an application, in the order: preferences, AEO, good record.

    declaration: a Declaration or its dict, optionally with ``documents`` (the received documents, see
    ``preferences_proven``); record: the importer's record (``trader_record``), None if unknown; agreements:
    the trade agreements (default: the origin screen's); thresholds: passed to ``good_standing``."""
    data = _as_dict(declaration)
    services = []
    for proven in preferences_proven(data, agreements):
        items = ", ".join(map(str, proven["items"]))
        services.append(Service(
            "preference",
            f"Preferential tariff rate applied under {proven['agreement']}: certificate of origin "
            f"{proven['certificate']} valid for origin {proven['origin']} (items {items})",
            {**proven, "items": items}))
    if data.get("importer_id") in set(aeo_importers):
        services.append(Service("aeo", "Authorised economic operator: fewer physical controls, promise-based "
                                       "release available", {"importer": data["importer_id"]}))
    elif record is not None and good_standing(record, **thresholds)[0]:
        services.append(Service("good_record", "No documents asked up front: good compliance record (you may "
                                               "promise the documents and be released at once)",
                                {"days": int(record.get("window_days", WINDOW_DAYS))}))
    return services
