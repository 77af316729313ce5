"""Good standing and application-free services, on hand-made records and declarations (no database)."""

from datetime import datetime

import pandas as pd
import pytest

from smartcustoms.control.facilitation import (
    application_free_services,
    good_standing,
    preferences_proven,
    trader_record,
)
from smartcustoms.risk.origin import TradeAgreement

AS_OF = datetime(2026, 6, 30, 12, 0)
GOOD = {"declarations": 25, "controls": 4, "discrepancies": 0, "window_days": 365}
CERTIFICATE = {"document_type": "certificate_of_origin", "state": "received", "request_id": 7,
               "filename": "eur1-2026-0042.pdf"}


def item(number: int = 1, origin: str = "KR", claim: str | None = "EU-KR-FTA", code: str = "6403990000") -> dict:
    return {"item_number": number, "origin_country": origin, "preference_claim": claim, "commodity_code": code}


def declaration(*items: dict, importer: str = "IMP9", documents: tuple = (CERTIFICATE,)) -> dict:
    return {"declaration_id": "D1", "importer_id": importer, "items": list(items) or [item()],
            "documents": list(documents)}


def test_the_record_counts_only_the_last_twelve_months():
    lodged = pd.DataFrame({"declaration_id": ["A", "B", "C", "D"],
                           "acceptance_datetime": pd.to_datetime(["2025-06-30 11:00", "2025-07-01 00:00",
                                                                  "2026-06-30 12:00", "2026-07-01 00:00"])})
    checked = pd.DataFrame({"declaration_id": ["A", "B", "C", "B"],
                            "inspection_date": pd.to_datetime(["2025-06-30", "2025-07-02", "2026-06-30", "2026-01-05"]),
                            "result": ["discrepancy", "no_discrepancy", "discrepancy", "no_discrepancy"]})
    record = trader_record(lodged, checked, as_of=AS_OF, aeo=False)
    # A (a year and an hour ago) and D (tomorrow) fall outside; so does A's control
    assert record == {"aeo": False, "as_of": AS_OF, "window_days": 365, "declarations": 2, "controls": 3,
                      "discrepancies": 1}
    empty = trader_record(pd.DataFrame(columns=["declaration_id", "acceptance_datetime"]),
                          pd.DataFrame(columns=["declaration_id", "inspection_date", "result"]), as_of=AS_OF)
    assert (empty["declarations"], empty["controls"], empty["discrepancies"]) == (0, 0, 0)


def test_an_authorised_operator_is_always_in_good_standing():
    standing, findings = good_standing({"aeo": True, "declarations": 0, "controls": 0, "discrepancies": 3})
    assert standing is True and [f.code for f in findings] == ["aeo"]


@pytest.mark.parametrize(("changes", "failed"), [
    ({}, []),
    ({"declarations": 9}, ["declarations"]),
    ({"controls": 1}, ["controls"]),
    ({"discrepancies": 1}, ["discrepancies"]),
    ({"declarations": 0, "controls": 0}, ["declarations", "controls"]),
])
def test_good_standing_needs_traffic_controls_and_no_discrepancy(changes, failed):
    standing, findings = good_standing({**GOOD, **changes})
    assert standing is (not failed)
    assert [f.code for f in findings] == ["declarations", "controls", "discrepancies"]
    assert [f.code for f in findings if not f.met] == failed
    declarations = findings[0]
    assert declarations.params == {"count": GOOD["declarations"] if "declarations" not in changes
                                   else changes["declarations"], "needed": 10, "days": 365}
    assert "declarations in the last 365 days" in declarations.text


def test_the_thresholds_are_parameters():
    record = {**GOOD, "declarations": 5, "discrepancies": 1}
    assert good_standing(record)[0] is False
    assert good_standing(record, min_declarations=5, max_discrepancies=1)[0] is True
    assert good_standing({**GOOD, "controls": 4}, min_controls=5)[0] is False


def test_a_preference_is_proven_by_a_covering_agreement_and_a_received_certificate():
    proven = preferences_proven(declaration(item(1), item(2), item(3, claim=None)))
    assert proven == [{"agreement": "EU-KR-FTA", "origin": "KR", "certificate": "eur1-2026-0042.pdf",
                       "items": [1, 2]}]
    assert preferences_proven(declaration(item(), documents=())) == []  # claimed, no certificate
    requested = {**CERTIFICATE, "state": "requested"}
    assert preferences_proven(declaration(item(), documents=(requested,))) == []  # asked for, not received
    assert preferences_proven(declaration(item(origin="CN"))) == []  # the agreement does not cover CN
    assert preferences_proven(declaration(item(claim="EU-XX-FTA"))) == []  # no such agreement
    # EU-TR-CU leaves out the agricultural chapters 01-24
    assert preferences_proven(declaration(item(origin="TR", claim="EU-TR-CU", code="0805100000"))) == []
    assert preferences_proven(declaration(item(origin="TR", claim="EU-TR-CU")))[0]["origin"] == "TR"
    mine = {"XX-YY": TradeAgreement(partners=frozenset({"CN"}))}
    assert preferences_proven(declaration(item(origin="CN", claim="XX-YY")), mine)[0]["agreement"] == "XX-YY"


def test_services_for_an_authorised_operator_with_a_proven_preference():
    services = application_free_services(declaration(item(), importer="IMP1"), aeo_importers={"IMP1"},
                                         record={"aeo": True, "declarations": 0, "controls": 0, "discrepancies": 0})
    assert [s.code for s in services] == ["preference", "aeo"]
    assert services[0].text == ("Preferential tariff rate applied under EU-KR-FTA: certificate of origin "
                                "eur1-2026-0042.pdf valid for origin KR (items 1)")
    assert services[0].params["items"] == "1"
    assert "promise-based release available" in services[1].text


def test_services_for_a_trader_with_a_good_record_and_for_one_without():
    plain = declaration(item(claim=None))
    good = application_free_services(plain, aeo_importers=(), record=GOOD)
    assert [s.code for s in good] == ["good_record"]
    assert good[0].text.startswith("No documents asked up front: good compliance record")
    assert application_free_services(plain, aeo_importers=(), record={**GOOD, "discrepancies": 2}) == []
    assert application_free_services(plain, aeo_importers=(), record=None) == []
    strict = application_free_services(plain, aeo_importers=(), record=GOOD, min_declarations=100)
    assert strict == []
