"""Small builders of test declarations in the project's own CSV format."""

import csv
import io
import os
from pathlib import Path

from smartcustoms.declarations.models import FIELDS

# the workspace's shared data folder (beside the repository, as in CI)
SHARED = Path(os.environ.get("SMARTCUSTOMS_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))


def item_row(declaration_id: str = "D0001", item_number: int = 1, **changes) -> dict:
    """One valid goods-item row (strings, as read from a file)."""
    row = {
        "declaration_id": declaration_id, "declaration_type": "IM", "office_id": "FRPAR1",
        "acceptance_datetime": "2025-03-04T09:30:00", "declarant_id": "BRK001", "importer_id": "IMP001",
        "seller_id": "SEL001", "transport_mode": "1", "incoterm": "FOB", "invoice_currency": "USD",
        "exchange_rate": "0.92", "dispatch_country": "CN", "item_number": str(item_number),
        "commodity_code": "6403990000", "goods_description": "mens leather shoes", "origin_country": "CN",
        "preference_claim": "", "quantity": "120", "quantity_unit": "NAR", "net_mass": "60", "gross_mass": "66",
        "item_price": "2400", "customs_value": "2208", "duty_rate": "8", "tax_type": "A00",
    }
    row.update({key: str(value) for key, value in changes.items()})
    return row


def csv_bytes(rows: list[dict], columns: list[str] | None = None, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns or FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
