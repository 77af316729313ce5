"""The import declaration, aligned with the WCO Data Model (docs/data-model.md maps each field).

A declaration is a header and one or more goods items. In a DataFrame the same declaration is one row per
goods item with the header fields repeated (see ``HEADER_FIELDS`` and ``ITEM_FIELDS``).
"""

import hashlib
import json
import math
import re
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from smartcustoms.reference import countries, hs

DeclarationType = Literal["IM", "EX", "CO"]
# UN/ECE Recommendation 19: 1 sea, 2 rail, 3 road, 4 air, 5 post, 7 fixed installation, 8 inland waterway, 9 other.
TransportMode = Literal["1", "2", "3", "4", "5", "7", "8", "9"]
Incoterm = Literal["EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"]

Identifier = Annotated[str, Field(min_length=1, max_length=35, pattern=r"^[A-Za-z0-9._/-]+$")]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Code = Annotated[str, Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9._/-]+$")]


def _country(value: str) -> str:
    value = value.strip().upper()
    if value not in countries.country_codes():
        raise ValueError(f"unknown ISO 3166 country code {value!r}")
    return value


def acceptance_window(earliest=None, tolerance_hours: float | None = None) -> tuple[datetime, datetime]:
    """The accepted acceptance_datetime range (naive UTC): from the settings' `acceptance_earliest` to now plus
    their clock tolerance. Validation uses the window in its context (``{"acceptance_window": (lo, hi)}``) when
    given one, else this one."""
    if earliest is None or tolerance_hours is None:
        from smartcustoms.settings import get_settings

        settings = get_settings()
        earliest = settings.acceptance_earliest if earliest is None else earliest
        tolerance_hours = settings.clock_tolerance_hours if tolerance_hours is None else tolerance_hours
    now = datetime.now(UTC).replace(tzinfo=None)
    return datetime.combine(earliest, time()), now + timedelta(hours=tolerance_hours)


def within_window(value: datetime, window: tuple[datetime, datetime]) -> datetime:
    """`value` if it lies in `window` (an aware time is compared in UTC), else ValueError. Years far outside are
    refused before any conversion (year 1 at +01:00 has no UTC time Python can hold)."""
    earliest, latest = window
    naive = value.replace(tzinfo=None)
    outside = not earliest - timedelta(days=2) <= naive <= latest + timedelta(days=2)
    if not outside and value.tzinfo is not None:
        naive = value.astimezone(UTC).replace(tzinfo=None)
    if outside or not earliest <= naive <= latest:
        raise ValueError(f"must lie between {earliest:%Y-%m-%d} and {latest:%Y-%m-%d %H:%M} UTC (now plus the "
                         f"clock tolerance), got {value.isoformat()}")
    return value


class GoodsItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    item_number: int = Field(ge=1, le=999)
    commodity_code: str = Field(description="HS 2022 subheading plus national digits, 6 to 10 digits")
    goods_description: str = Field(min_length=1, max_length=512)
    origin_country: str
    preference_claim: str | None = Field(None, max_length=35, description="trade agreement claimed, if any")
    quantity: Positive
    quantity_unit: str = Field(pattern=r"^[A-Z0-9]{2,3}$", description="UN/ECE Rec. 20 unit code")
    net_mass: Positive = Field(description="kg")
    gross_mass: Positive | None = Field(None, description="kg")
    item_price: Positive = Field(description="in the invoice currency")
    customs_value: Positive = Field(description="in the national currency")
    duty_rate: float = Field(ge=0, le=1000, allow_inf_nan=False, description="ad valorem, percent")
    tax_type: str | None = Field(None, max_length=10)

    @field_validator("commodity_code")
    @classmethod
    def _hs_2022(cls, value: str) -> str:
        value = value.strip().replace(".", "").replace(" ", "")
        if not value.isdigit() or not 6 <= len(value) <= 10:
            raise ValueError(f"commodity code must be 6 to 10 digits, got {value!r}")
        if not hs.is_subheading(value):
            raise ValueError(f"{value[:6]} is not an HS 2022 subheading")
        return value

    _origin = field_validator("origin_country")(_country)

    @field_validator("preference_claim", "tax_type")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _gross_not_below_net(self) -> "GoodsItem":
        if self.gross_mass is not None and self.gross_mass < self.net_mass:
            raise ValueError(f"gross mass {self.gross_mass} is below net mass {self.net_mass}")
        return self


class Declaration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    declaration_id: Identifier
    declaration_type: DeclarationType = "IM"
    office_id: Identifier
    acceptance_datetime: datetime
    declarant_id: Identifier
    importer_id: Identifier
    seller_id: Identifier | None = None
    transport_mode: TransportMode
    incoterm: Incoterm | None = None
    invoice_currency: str
    exchange_rate: Positive = Field(description="national currency per unit of invoice currency")
    dispatch_country: str
    # declared attributes targeting needs (WCO DM): customs procedure (1/10: requested and previous procedure,
    # 2 digits each), additional procedure codes (1/11: 3 characters each, separated by spaces), the national
    # type and use of the import, the method of payment (4/8) and the express carrier (courier)
    requested_procedure: Code | None = None
    previous_procedure: Code | None = None
    additional_procedures: str | None = Field(None, max_length=99, pattern=r"^[A-Za-z0-9]{1,4}( [A-Za-z0-9]{1,4})*$")
    import_type: Code | None = None
    import_use: Code | None = None
    payment_method: Code | None = None
    carrier_id: Identifier | None = None
    # any other declared column a mapping names: canonical JSON of {name: text or number} (see `attributes_json`)
    attributes: str | None = Field(None, max_length=4000)
    items: list[GoodsItem] = Field(min_length=1, max_length=999)

    _dispatch = field_validator("dispatch_country")(_country)

    @field_validator("acceptance_datetime")
    @classmethod
    def _within_window(cls, value: datetime, info: ValidationInfo) -> datetime:
        window = (info.context or {}).get("acceptance_window") or acceptance_window()
        return within_window(value, window)

    @field_validator("invoice_currency")
    @classmethod
    def _iso_4217(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in countries.currency_codes():
            raise ValueError(f"unknown ISO 4217 currency code {value!r}")
        return value

    @field_validator("seller_id", "incoterm", "requested_procedure", "previous_procedure", "additional_procedures",
                     "import_type", "import_use", "payment_method", "carrier_id", "attributes", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("additional_procedures", mode="before")
    @classmethod
    def _procedure_list(cls, value):
        return " ".join(value.replace(",", " ").split()).upper() if isinstance(value, str) else value

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, value: str | None) -> str | None:
        return None if value is None else attributes_json(parse_attributes(value))

    @field_validator("declaration_type", mode="before")
    @classmethod
    def _import_by_default(cls, value):
        return "IM" if value is None or value == "" else value

    @model_validator(mode="after")
    def _items_numbered_once(self) -> "Declaration":
        numbers = [item.item_number for item in self.items]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"goods item numbers repeat: {sorted(numbers)}")
        return self

    def content_hash(self) -> str:
        """Fingerprint of the declared content: same ID and same hash means an unchanged re-import."""
        return content_digest(self.model_dump())


ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ATTRIBUTES = 30
# fields added after declarations were first stored: left out of the content hash while empty, so that an
# unchanged re-import of an older declaration keeps its hash
_LATER_FIELDS = ("requested_procedure", "previous_procedure", "additional_procedures", "import_type", "import_use",
                 "payment_method", "carrier_id", "attributes")


def parse_attributes(text: str) -> dict[str, str | float]:
    """Additional declared attributes: a JSON object of at most MAX_ATTRIBUTES names (lower case, digits, _) to
    text (at most 100 characters) or finite numbers. A value a mapping could not read as its declared type
    arrives as ``{"expected": type, "got": text}`` and is refused here, naming the attribute."""
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError("additional attributes must be a JSON object") from None
    if not isinstance(data, dict):
        raise ValueError("additional attributes must be a JSON object")
    if len(data) > MAX_ATTRIBUTES:
        raise ValueError(f"at most {MAX_ATTRIBUTES} additional attributes, got {len(data)}")
    out: dict[str, str | float] = {}
    for name, value in data.items():
        if not ATTRIBUTE_NAME.match(str(name)):
            raise ValueError(f"attribute name {name!r}: lower-case letters, digits and _ only, at most 40")
        if isinstance(value, dict) and "expected" in value:
            raise ValueError(f"attribute {name}: expected {value['expected']}, got {value.get('got')!r}")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"attribute {name}: text or a number, got {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"attribute {name}: not a finite number")
        if isinstance(value, str) and len(value.strip()) > 100:
            raise ValueError(f"attribute {name}: at most 100 characters")
        out[str(name)] = value.strip() if isinstance(value, str) else float(value)
    return out


def attributes_json(values: dict) -> str | None:
    """Canonical JSON of additional attributes (sorted names, no blanks); None when there are none."""
    kept = {k: v for k, v in values.items() if v is not None and v != ""}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False) if kept else None


def content_digest(data: dict) -> str:
    """Content hash of a dumped declaration; the order of its goods items does not count."""
    data = {**data, "items": sorted(data["items"], key=lambda item: item["item_number"])}
    for name in _LATER_FIELDS:
        if data.get(name, 0) is None:
            del data[name]
    return hashlib.sha256(repr(data).encode()).hexdigest()


HEADER_FIELDS = [name for name in Declaration.model_fields if name != "items"]
ITEM_FIELDS = list(GoodsItem.model_fields)
FIELDS = HEADER_FIELDS + ITEM_FIELDS
REQUIRED_FIELDS = [
    name
    for name in FIELDS
    if (Declaration.model_fields.get(name) or GoodsItem.model_fields[name]).is_required()
]
