"""UN/EDIFACT CUSDEC import and export for a documented subset (see docs/cusdec.md).

pydifact tokenises the interchange into segments and checks the envelope; the mapping between CUSDEC segments
and the declaration model is ours. ``read_cusdec`` returns one row per goods item with raw string values, ready
for :func:`smartcustoms.declarations.validate.validate`, plus a frame of structural errors. ``write_cusdec`` is
its inverse.

Where problems go:

* an interchange that cannot be read at all (not EDIFACT, broken syntax, broken envelope) raises
  :class:`CusdecError`, naming the segment number, line and column;
* a problem inside one message (wrong UNT count, unsupported segment or qualifier, a segment missing its
  mandatory element, a malformed number or date) becomes a row of the errors frame; that message contributes no
  goods-item rows (nothing of it is half-imported) and the other messages still import.

Segments are numbered from 1 in the order they appear in the text, UNA included when present, so with one
segment per line (as ``write_cusdec`` writes) the segment number is the line number.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import pandas as pd
from pydifact.control import Characters
from pydifact.exceptions import MissingImplementationWarning
from pydifact.segmentcollection import Interchange, Message
from pydifact.segments import Segment

from smartcustoms.declarations.models import FIELDS
from smartcustoms.edifact import PARSE_ERRORS, SegmentError, read_segments

__all__ = ["ERROR_COLUMNS", "ROW_COLUMNS", "CusdecError", "read_cusdec", "write_cusdec"]

ERROR_COLUMNS = ["row_number", "declaration_id", "field", "value", "reason"]
ROW_COLUMNS = ["row_number", *FIELDS]

MESSAGE_TYPE = "CUSDEC"
MESSAGE_VERSION = ("D", "01B", "UN")  # written in UNH S009; any directory is accepted on reading

# --- the subset: qualifier codes (UNTDID code lists) and the model field each one carries -------------------
DOCUMENT_NAMES = {"929": "IM", "830": "EX"}  # BGM C002/1001: goods declaration for importation / exportation
DOCUMENT_NAME_FOR_TYPE = {"IM": "929", "EX": "830", "CO": "929"}
MESSAGE_FUNCTION_ORIGINAL = "9"  # BGM 1225
ACCEPTANCE = "148"  # DTM C507/2005: goods declaration document acceptance date/time
DATE_FORMATS = {"102": "%Y%m%d", "203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S"}  # DTM C507/2379
DATE_FORMAT_BY_LENGTH = {8: "102", 12: "203", 14: "204"}
HEADER_LOCATIONS = {"22": "office_id", "35": "dispatch_country"}  # LOC 3227: customs office of clearance,
ITEM_LOCATIONS = {"27": "origin_country"}  # country of exportation/despatch; country of origin
PARTIES = {"DT": "declarant_id", "IM": "importer_id", "SE": "seller_id", "EX": "exporter"}  # NAD 3035
TRANSPORT_AT_BORDER = "11"  # TDT 8051: transport stage "at border"
DELIVERY_CONDITION = "6"  # TOD 4055
REFERENCE_CURRENCY = "2"  # CUX C504/6347
INVOICING_CURRENCY = "4"  # CUX C504/6343
MEASUREMENT = "AAE"  # MEA 6311: measurement (weights)
LINE_ITEM_MEASUREMENT = "AAF"  # MEA 6311: customs line item measurement (quantity in its unit)
WEIGHTS = {"AAC": "net_mass", "AAD": "gross_mass"}  # MEA C502/6313: total net / total gross weight
KILOGRAMS_PER_UNIT = {"KGM": Decimal(1), "TNE": Decimal(1000), "GRM": Decimal("0.001")}
AMOUNTS = {"38": "item_price", "40": "customs_value"}  # MOA C516/5025: invoice item amount, customs value
ITEM_DUTY = "1"  # TAX 5283: individual duty, tax or fee (customs item)
GOODS_DESCRIPTION = "AAA"  # FTX 4451: goods item description
TEXT_COMPONENT = 512  # FTX C108/4440 length in D.01B

# Elements that may carry data but are deliberately ignored (everything else unmapped is an error).
IGNORED_ELEMENTS = {"NAD": {2, 3, 4, 5, 6, 7, 8}, "CUX": {1}, "FTX": {4}}

_NUMBER = re.compile(r"-?(?:\d+(?:[.,]\d*)?|[.,]\d+)")


class CusdecError(ValueError):
    """The whole interchange is unreadable; ``segment`` (1-based), ``line`` and ``column`` say where."""

    def __init__(self, message: str, segment: int | None = None, line: int | None = None,
                 column: int | None = None):
        super().__init__(message)
        self.segment = segment
        self.line = line
        self.column = column


# ---------------------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------------------


def _segment_starts(text: str) -> list[int]:
    """Character offset where each segment starts, counted the way pydifact's tokenizer reads them."""
    chars = Characters()
    starts, i = [], 0
    if text.startswith("UNA") and len(text) >= 9:
        chars = Characters.from_str(text[:9])
        starts.append(0)
        i = 9
        while i < len(text) and text[i] in "\r\n":
            i += 1
    n = len(text)
    while i < n:
        while i < n and text[i] in chars.line_terminators:
            i += 1
        if i >= n:
            break
        starts.append(i)
        while i < n:
            if text[i] == chars.escape_character:
                i += 2
            elif text[i] == chars.segment_terminator:
                i += 1
                break
            else:
                i += 1
    return starts


def _fail(text: str, number: int, reason: str) -> CusdecError:
    """A CusdecError for segment ``number`` (1-based), naming its line and column."""
    try:
        starts = _segment_starts(text)
    except Exception:  # noqa: BLE001 - locating is best effort, the error itself must still be raised
        starts = []
    if 1 <= number <= len(starts):
        offset = starts[number - 1]
    else:
        offset = len(text.rstrip())
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return CusdecError(f"segment {number} (line {line}, column {column}): {reason}", number, line, column)


def _parse(text: str) -> list[Segment]:
    if not isinstance(text, str):
        raise TypeError(f"read_cusdec expects the interchange as str, got {type(text).__name__}")
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        raise CusdecError("not an EDIFACT interchange: the input is empty")
    if not text.startswith(("UNA", "UNB")):
        raise _fail(text, 1, f"not an EDIFACT interchange: expected UNA or UNB, found {text[:3]!r}")
    if text.find("UNA", 1) != -1:  # pydifact would silently drop everything before a later UNA
        for number, offset in enumerate(_segment_starts(text), start=1):
            if offset and text.startswith("UNA", offset):
                raise _fail(text, number, "UNA (service string advice) is only allowed as the first segment")
    try:
        segments = read_segments(text)
    except SegmentError as exc:
        reason = ("unexpected end of input: the segment is not closed by a segment terminator"
                  if exc.unexpected_end else exc.reason)
        raise _fail(text, exc.position, f"syntax error: {reason}") from exc
    return segments


def _element(segment: Segment, index: int):
    return segment.elements[index] if index < len(segment.elements) else ""


def _component(segment: Segment, index: int, component: int = 0) -> str:
    value = _element(segment, index)
    if isinstance(value, list):
        return value[component].strip() if component < len(value) else ""
    return value.strip() if component == 0 else ""


def _filled(value) -> bool:
    if isinstance(value, list):
        return any(part.strip() for part in value)
    return bool(value and value.strip())


def _flat(value) -> str:
    return ":".join(value) if isinstance(value, list) else value


def _envelope(segments: list[Segment], text: str) -> tuple[Interchange, int]:
    """Check UNA/UNB ... UNZ; return the interchange and the segment number of its first body segment."""
    first = 1 if segments[0].tag == "UNA" else 0
    if len(segments) <= first or segments[first].tag != "UNB":
        found = segments[first].tag if len(segments) > first else "end of input"
        raise _fail(text, first + 1, f"expected the UNB interchange header, found {found}")
    for index in range(first + 1, len(segments) - 1):
        tag = segments[index].tag
        if tag in ("UNG", "UNE"):
            raise _fail(text, index + 1, f"{tag}: functional groups are not supported")
        if tag in ("UNA", "UNB", "UNZ"):
            raise _fail(text, index + 1, f"unexpected {tag} inside the interchange (only one UNB..UNZ allowed)")
    last = segments[-1]
    if last.tag != "UNZ" or len(segments) == first + 1:
        raise _fail(text, len(segments), f"the interchange is not closed by UNZ (last segment is {last.tag}); "
                                         f"the file may be truncated")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingImplementationWarning)
        try:
            interchange = Interchange.from_segments(segments)
        except PARSE_ERRORS as exc:
            reason = str(exc).removeprefix("EDIFACT Syntax Error: ").strip() or type(exc).__name__
            raise _fail(text, first + 1, f"UNB: invalid interchange header ({reason})") from exc
    messages = sum(1 for segment in interchange.segments if segment.tag == "UNH")
    count, reference = _component(last, 0), _component(last, 1)
    if not (count.isdigit() and int(count) == messages):
        raise _fail(text, len(segments), f"UNZ: interchange control count is {count!r} but the interchange "
                                         f"holds {messages} message(s)")
    control = _flat(interchange.control_reference).strip()
    if reference != control:
        raise _fail(text, len(segments), f"UNZ: control reference {reference!r} does not match UNB's {control!r}")
    return interchange, first + 2


@dataclass
class _Message:
    start: int  # segment number of UNH
    segments: list[tuple[int, Segment]] = field(default_factory=list)
    closed: bool = False


def _split(body: list[Segment], start: int, errors: list[dict]) -> list[_Message]:
    messages: list[_Message] = []
    current: _Message | None = None
    orphan_from: int | None = None

    def orphans_end(number: int) -> None:
        nonlocal orphan_from
        if orphan_from is not None:
            span = f"segment {orphan_from}" if orphan_from == number - 1 else f"segments {orphan_from}-{number - 1}"
            errors.append(_error(orphan_from, None, "UNH", None,
                                 f"{span} outside any UNH..UNT message (no UNH before them)"))
            orphan_from = None

    for offset, segment in enumerate(body):
        number = start + offset
        if segment.tag == "UNH":
            orphans_end(number)
            if current is not None:
                messages.append(current)
            current = _Message(number, [(number, segment)])
        elif current is None:
            if orphan_from is None:
                orphan_from = number
        else:
            current.segments.append((number, segment))
            if segment.tag == "UNT":
                current.closed = True
                messages.append(current)
                current = None
    orphans_end(start + len(body))
    if current is not None:
        messages.append(current)
    return messages


def _error(row_number: int, declaration_id, field_name: str, value, reason: str) -> dict:
    if value is not None and not isinstance(value, str):
        value = _flat(value)
    return {"row_number": row_number, "declaration_id": declaration_id or None, "field": field_name,
            "value": value if value not in ("", None) else None, "reason": reason}


def _number(raw: str) -> str | None:
    """EDIFACT numeric value (either decimal mark, no exponent, no grouping) as a plain decimal string."""
    if not _NUMBER.fullmatch(raw):
        return None
    value = raw.replace(",", ".")
    value = value.rstrip(".") if value.endswith(".") else value
    return value.replace("-.", "-0.") if value.startswith("-.") else ("0" + value if value[0] == "." else value)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


class _MessageReader:
    """Maps one UNH..UNT message onto header fields and goods items, collecting its problems."""

    def __init__(self, message: _Message):
        self.message = message
        self.header: dict[str, str] = {}
        self.header_source: dict[str, int] = {}
        self.items: list[tuple[int, dict[str, str], dict[str, int]]] = []
        self.errors: list[dict] = []
        self.declaration_id = ""
        for _, segment in message.segments:
            if segment.tag == "BGM":
                self.declaration_id = _component(segment, 1)
                break

    # -- helpers ------------------------------------------------------------------------------------------
    def problem(self, number: int, field_name: str, value, reason: str) -> None:
        self.errors.append(_error(number, self.declaration_id, field_name, value, reason))

    def target(self) -> tuple[dict[str, str], dict[str, int]]:
        if self.items:
            _, values, sources = self.items[-1]
            return values, sources
        return self.header, self.header_source

    def put(self, number: int, field_name: str, value: str, tag: str) -> None:
        values, sources = self.target()
        if field_name in sources:
            self.problem(number, field_name, value,
                         f"{tag}: {field_name} is given twice (first in segment {sources[field_name]})")
            return
        values[field_name] = value
        sources[field_name] = number

    def mandatory(self, number: int, segment: Segment, index: int, component: int, field_name: str,
                  what: str) -> str:
        value = _component(segment, index, component)
        if not value:
            self.problem(number, field_name, None,
                         f"{segment.tag}: missing mandatory element {what} at element {index + 1}"
                         + (f", component {component + 1}" if component else ""))
        return value

    def numeric(self, number: int, segment: Segment, raw: str, field_name: str) -> str | None:
        value = _number(raw)
        if value is None:
            self.problem(number, field_name, raw,
                         f"{segment.tag}: malformed number {raw!r} (digits with one decimal mark expected)")
        return value

    def unsupported_elements(self, number: int, segment: Segment, mapped: set[int]) -> None:
        ignored = IGNORED_ELEMENTS.get(segment.tag, set()) | mapped
        extra = [(index, value) for index, value in enumerate(segment.elements)
                 if index not in ignored and _filled(value)]
        if extra:
            positions = ", ".join(str(index + 1) for index, _ in extra)
            self.problem(number, segment.tag, extra[0][1],
                         f"{segment.tag}: element {positions} is not part of the supported subset "
                         f"(its data would be lost; or a segment terminator is missing)")

    def unsupported_qualifier(self, number: int, segment: Segment, qualifier: str, where: str = "") -> None:
        shown = qualifier or "(empty)"
        self.problem(number, segment.tag, qualifier or None,
                     f"{segment.tag}: unsupported qualifier {shown}{where} (see docs/cusdec.md for the subset)")

    # -- the walk -----------------------------------------------------------------------------------------
    def read(self) -> tuple[list[dict], list[dict]]:
        message = self.message
        unh_number, unh = message.segments[0]
        self.unsupported_elements(unh_number, unh, {0, 1})
        reference = _component(unh, 0)
        kind = _component(unh, 1, 0)
        if not reference:
            self.problem(unh_number, "UNH", None, "UNH: missing mandatory message reference number")
        if kind != MESSAGE_TYPE:
            self.problem(unh_number, "UNH", kind or None,
                         f"UNH: message type {kind or '(empty)'} is not supported, only {MESSAGE_TYPE}")
            return [], self.errors
        content = message.segments[1:]
        if message.closed:
            unt_number, unt = content.pop()
            self.check_trailer(unt_number, unt, reference, len(message.segments))
        else:
            last = message.segments[-1][0]
            self.problem(unh_number, "UNT", None,
                         f"UNH: the message starting here is not closed by UNT (it runs to segment {last})")
        self.walk(content)
        if self.errors:
            return [], self.errors
        return self.rows(), self.errors

    def check_trailer(self, number: int, unt: Segment, reference: str, actual: int) -> None:
        self.unsupported_elements(number, unt, {0, 1})
        count = _component(unt, 0)
        if not count.isdigit() or int(count) != actual:
            self.problem(number, "UNT", count or None,
                         f"UNT: segment count is {count or '(empty)'} but the message has {actual} segments "
                         f"(UNH to UNT inclusive)")
        if _component(unt, 1) != reference:
            self.problem(number, "UNT", _component(unt, 1) or None,
                         f"UNT: message reference does not match UNH's {reference!r}")

    def walk(self, content: list[tuple[int, Segment]]) -> None:
        section = "header"
        if not any(segment.tag == "BGM" for _, segment in content):
            self.problem(self.message.start, "BGM", None, "message has no BGM segment (declaration number)")
        elif content[0][1].tag != "BGM":
            self.problem(content[0][0], content[0][1].tag, None, "BGM must be the first segment after UNH")
        header_handlers = {"BGM": self.bgm, "DTM": self.dtm, "LOC": self.loc, "NAD": self.nad,
                           "TDT": self.tdt, "TOD": self.tod, "CUX": self.cux}
        item_handlers = {"FTX": self.ftx, "LOC": self.loc, "MEA": self.mea, "MOA": self.moa, "TAX": self.tax}
        for number, segment in content:
            tag = segment.tag
            if tag == "UNS":
                self.unsupported_elements(number, segment, {0})
                code = _component(segment, 0)
                if code == "D" and section == "header":
                    section = "detail"
                elif code == "S" and section in ("header", "detail"):
                    section = "summary"
                else:
                    self.problem(number, "UNS", code or None,
                                 f"UNS: section {code or '(empty)'} is out of place (expected UNS+D before the "
                                 f"goods items and UNS+S after them)")
                continue
            if section == "summary":
                self.problem(number, tag, None, f"{tag}: no segments are supported after UNS+S (summary section)")
                continue
            if tag == "CST":
                section = "detail"
                self.items.append((number, {}, {}))
                self.cst(number, segment)
                continue
            if self.items:
                handler = item_handlers.get(tag)
                if handler is None:
                    where = "inside a goods item" if tag in header_handlers else "in this subset"
                    self.problem(number, tag, None, f"{tag}: segment is not supported {where} "
                                                    f"(goods item from segment {self.items[-1][0]})")
                    continue
            elif section == "detail":
                self.problem(number, tag, None,
                             f"{tag}: after UNS+D every segment must belong to a goods item starting with CST")
                continue
            else:
                handler = header_handlers.get(tag)
                if handler is None:
                    reason = (f"{tag}: segment belongs inside a goods item (after CST)" if tag in item_handlers
                              else f"{tag}: segment is not supported in this subset")
                    self.problem(number, tag, None, reason)
                    continue
            handler(number, segment)

    # -- header segments ----------------------------------------------------------------------------------
    def bgm(self, number: int, segment: Segment) -> None:
        self.unsupported_elements(number, segment, {0, 1, 2})
        code = _component(segment, 0, 0)
        name = _component(segment, 0, 3)
        if code not in DOCUMENT_NAMES:
            self.problem(number, "declaration_type", code or None,
                         f"BGM: unsupported document name code {code or '(empty)'} "
                         f"(929 import or 830 export declaration)")
        else:
            self.put(number, "declaration_type", name or DOCUMENT_NAMES[code], "BGM")
        document = self.mandatory(number, segment, 1, 0, "declaration_id", "1004 (document identifier)")
        if document:
            self.put(number, "declaration_id", document, "BGM")
        function = _component(segment, 2)
        if function not in ("", MESSAGE_FUNCTION_ORIGINAL):
            self.problem(number, "BGM", function,
                         f"BGM: unsupported message function {function} (only 9, original)")

    def dtm(self, number: int, segment: Segment) -> None:
        self.unsupported_elements(number, segment, {0})
        qualifier = _component(segment, 0, 0)
        if qualifier != ACCEPTANCE:
            self.unsupported_qualifier(number, segment, qualifier)
            return
        raw = self.mandatory(number, segment, 0, 1, "acceptance_datetime", "2380 (date/time)")
        if not raw:
            return
        code = _component(segment, 0, 2) or DATE_FORMAT_BY_LENGTH.get(len(raw), "")
        if code not in DATE_FORMATS:
            self.problem(number, "acceptance_datetime", code or None,
                         f"DTM: unsupported date/time format code {code or '(empty)'} (102, 203 or 204)")
            return
        try:
            moment = datetime.strptime(raw, DATE_FORMATS[code])
            if len(raw) != len(moment.strftime(DATE_FORMATS[code])):
                raise ValueError(raw)
        except ValueError:
            self.problem(number, "acceptance_datetime", raw,
                         f"DTM: malformed date/time {raw!r} for format {code}")
            return
        self.put(number, "acceptance_datetime", moment.isoformat(), "DTM")

    def loc(self, number: int, segment: Segment) -> None:
        self.unsupported_elements(number, segment, {0, 1})
        qualifier = _component(segment, 0)
        in_item = bool(self.items)
        allowed, other = (ITEM_LOCATIONS, HEADER_LOCATIONS) if in_item else (HEADER_LOCATIONS, ITEM_LOCATIONS)
        if qualifier not in allowed:
            where = (" in a goods item" if in_item else " in the message header") if qualifier in other else ""
            self.unsupported_qualifier(number, segment, qualifier, where)
            return
        field_name = allowed[qualifier]
        value = self.mandatory(number, segment, 1, 0, field_name, "3225 (location identifier)")
        if value:
            self.put(number, field_name, value, "LOC")

    def nad(self, number: int, segment: Segment) -> None:
        self.unsupported_elements(number, segment, {0, 1})
        qualifier = _component(segment, 0)
        if qualifier not in PARTIES:
            self.unsupported_qualifier(number, segment, qualifier)
            return
        field_name = PARTIES[qualifier]
        value = self.mandatory(number, segment, 1, 0, field_name if field_name != "exporter" else "seller_id",
                               "3039 (party identifier)")
        if value:
            self.put(number, field_name, value, "NAD")

    def tdt(self, number: int, segment: Segment) -> None:
        self.unsupported_elements(number, segment, {0, 2})
        qualifier = _component(segment, 0)
        if qualifier != TRANSPORT_AT_BORDER:
            self.unsupported_qualifier(number, segment, qualifier)
            return
        value = self.mandatory(number, segment, 2, 0, "transport_mode", "8067 (mode of transport)")
        if value:
            self.put(number, "transport_mode", value, "TDT")

    def tod(self, number: int, segment: Segment) -> None:
        self.unsupported_elements(number, segment, {0, 2})
        qualifier = _component(segment, 0)
        if qualifier not in ("", DELIVERY_CONDITION):
            self.unsupported_qualifier(number, segment, qualifier)
            return
        value = self.mandatory(number, segment, 2, 0, "incoterm", "4053 (delivery terms code)")
        if value:
            self.put(number, "incoterm", value, "TOD")

    def cux(self, number: int, segment: Segment) -> None:
        self.unsupported_elements(number, segment, {0, 2})
        usage, kind = _component(segment, 0, 0), _component(segment, 0, 2)
        if usage != REFERENCE_CURRENCY or kind not in ("", INVOICING_CURRENCY):
            self.unsupported_qualifier(number, segment, f"{usage}:{kind}" if kind else usage)
            return
        currency = self.mandatory(number, segment, 0, 1, "invoice_currency", "6345 (currency)")
        raw = self.mandatory(number, segment, 2, 0, "exchange_rate", "5402 (rate of exchange)")
        if currency:
            self.put(number, "invoice_currency", currency, "CUX")
        if raw:
            rate = self.numeric(number, segment, raw, "exchange_rate")
            if rate is not None:
                self.put(number, "exchange_rate", rate, "CUX")

    # -- goods item segments ------------------------------------------------------------------------------
    def cst(self, number: int, segment: Segment) -> None:
        self.unsupported_elements(number, segment, {0, 1, 2})
        raw = self.mandatory(number, segment, 0, 0, "item_number", "1496 (goods item number)")
        if raw:
            if raw.isdigit():
                self.put(number, "item_number", str(int(raw)), "CST")
            else:
                self.problem(number, "item_number", raw, f"CST: malformed number {raw!r} (goods item number "
                                                         f"must be a whole number)")
        code = self.mandatory(number, segment, 1, 0, "commodity_code", "7361 (commodity code)")
        if code:
            self.put(number, "commodity_code", code, "CST")
        claim = _component(segment, 2, 0)
        if claim:
            self.put(number, "preference_claim", claim, "CST")

    def ftx(self, number: int, segment: Segment) -> None:
        self.unsupported_elements(number, segment, {0, 3})
        qualifier = _component(segment, 0)
        if qualifier != GOODS_DESCRIPTION:
            self.unsupported_qualifier(number, segment, qualifier)
            return
        text = _element(segment, 3)
        text = "".join(text) if isinstance(text, list) else text
        if not text.strip():
            self.problem(number, "goods_description", None,
                         "FTX: missing mandatory element 4440 (free text) at element 4")
            return
        self.put(number, "goods_description", text, "FTX")

    def mea(self, number: int, segment: Segment) -> None:
        self.unsupported_elements(number, segment, {0, 1, 2})
        purpose = _component(segment, 0)
        dimension = _component(segment, 1, 0)
        if purpose == LINE_ITEM_MEASUREMENT and not dimension:
            unit = self.mandatory(number, segment, 2, 0, "quantity_unit", "6411 (measurement unit)")
            raw = self.mandatory(number, segment, 2, 1, "quantity", "6314 (measurement value)")
            if unit:
                self.put(number, "quantity_unit", unit, "MEA")
            if raw and (value := self.numeric(number, segment, raw, "quantity")) is not None:
                self.put(number, "quantity", value, "MEA")
            return
        if purpose != MEASUREMENT or dimension not in WEIGHTS:
            self.unsupported_qualifier(number, segment, f"{purpose}+{dimension}" if dimension else purpose)
            return
        field_name = WEIGHTS[dimension]
        unit = self.mandatory(number, segment, 2, 0, field_name, "6411 (measurement unit)")
        raw = self.mandatory(number, segment, 2, 1, field_name, "6314 (measurement value)")
        if not unit or not raw:
            return
        if unit not in KILOGRAMS_PER_UNIT:
            self.problem(number, field_name, unit,
                         f"MEA: unsupported weight unit {unit} (KGM, TNE or GRM)")
            return
        value = self.numeric(number, segment, raw, field_name)
        if value is None:
            return
        if unit != "KGM":
            value = _plain(Decimal(value) * KILOGRAMS_PER_UNIT[unit])
        self.put(number, field_name, value, "MEA")

    def moa(self, number: int, segment: Segment) -> None:
        self.unsupported_elements(number, segment, {0})
        qualifier = _component(segment, 0, 0)
        if qualifier not in AMOUNTS:
            self.unsupported_qualifier(number, segment, qualifier)
            return
        field_name = AMOUNTS[qualifier]
        raw = self.mandatory(number, segment, 0, 1, field_name, "5004 (monetary amount)")
        currency = _component(segment, 0, 2)
        invoice = self.header.get("invoice_currency", "")
        if field_name == "item_price" and currency and invoice and currency != invoice:
            self.problem(number, field_name, currency,
                         f"MOA: amount currency {currency} differs from the invoice currency {invoice} (CUX)")
            return
        if raw and (value := self.numeric(number, segment, raw, field_name)) is not None:
            self.put(number, field_name, value, "MOA")

    def tax(self, number: int, segment: Segment) -> None:
        self.unsupported_elements(number, segment, {0, 1, 4})
        qualifier = _component(segment, 0)
        if qualifier != ITEM_DUTY:
            self.unsupported_qualifier(number, segment, qualifier)
            return
        kind = _component(segment, 1, 0) or _component(segment, 1, 3)
        raw = self.mandatory(number, segment, 4, 3, "duty_rate", "5278 (duty/tax/fee rate)")
        if kind:
            self.put(number, "tax_type", kind, "TAX")
        if raw and (value := self.numeric(number, segment, raw, "duty_rate")) is not None:
            self.put(number, "duty_rate", value, "TAX")

    # -- result -------------------------------------------------------------------------------------------
    def rows(self) -> list[dict]:
        header = {name: "" for name in FIELDS}
        header.update({k: v for k, v in self.header.items() if k != "exporter"})
        if not header["seller_id"] and self.header.get("exporter"):
            header["seller_id"] = self.header["exporter"]
        if not self.items:  # header only: validation will say what the goods item lacks
            return [{"row_number": self.message.start, **header}]
        return [{**header, **values, "row_number": number} for number, values, _ in self.items]


def read_cusdec(text: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse an interchange (UNA/UNB ... one or more UNH..UNT CUSDEC messages ... UNZ).

    Returns ``(rows, errors)``. ``rows`` has one row per goods item (CST group): string values in columns named
    like :data:`smartcustoms.declarations.models.FIELDS` (empty string when absent) plus ``row_number``, the
    1-based number of the item's CST segment in the interchange (the UNH segment for a message without goods
    items). ``errors`` has :data:`ERROR_COLUMNS` (row_number, declaration_id, field, value, reason) for
    structural problems inside messages; a message with any such problem yields no rows.

    Raises :class:`CusdecError` when the interchange as a whole is unreadable.
    """
    segments = _parse(text)
    interchange, first = _envelope(segments, text.lstrip("\ufeff \t\r\n"))
    errors: list[dict] = []
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for message in _split(interchange.segments, first, errors):
        reader = _MessageReader(message)
        message_rows, message_errors = reader.read()
        declaration_id = reader.header.get("declaration_id")
        if declaration_id and declaration_id in seen:
            message_errors.append(_error(message.start, declaration_id, "declaration_id", declaration_id,
                                         f"declaration {declaration_id} is already declared by the message "
                                         f"at segment {seen[declaration_id]}"))
            message_rows = []
        elif declaration_id:
            seen[declaration_id] = message.start
        rows.extend(message_rows)
        errors.extend(message_errors)
    row_frame = pd.DataFrame(rows, columns=ROW_COLUMNS)
    row_frame["row_number"] = row_frame["row_number"].astype(int)
    error_frame = pd.DataFrame(errors, columns=ERROR_COLUMNS)
    error_frame["row_number"] = error_frame["row_number"].astype(int)
    error_frame = error_frame.sort_values("row_number", kind="stable", ignore_index=True)
    return row_frame, error_frame


# ---------------------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------------------


class _Interchange(Interchange):
    """pydifact's interchange, writing the CCYYMMDD preparation date that syntax version 4 requires."""

    def get_header_segment(self) -> Segment:
        segment = super().get_header_segment()
        if self.syntax_identifier[1] >= 4:
            segment.elements[3] = [f"{self.timestamp:%Y%m%d}", f"{self.timestamp:%H%M}"]
        return segment


def _missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value) -> str | None:
    """A value as EDIFACT text: numbers in plain decimal notation (no exponent), strings stripped."""
    if _missing(value):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return str(int(value))
    try:
        return _plain(Decimal(repr(float(value))) if not isinstance(value, Decimal) else value)
    except (TypeError, ValueError, InvalidOperation):
        return str(value).strip()


def _moment(value) -> tuple[str, str] | None:
    """(date/time text, format code) for DTM, or None when absent."""
    if _missing(value):
        return None
    try:
        moment = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value).strip(), "203"
    if pd.isna(moment):
        return None
    if moment.tzinfo is not None:
        moment = moment.tz_convert(UTC).tz_localize(None)
    if moment.second or moment.microsecond:
        return moment.strftime("%Y%m%d%H%M%S"), "204"
    return moment.strftime("%Y%m%d%H%M"), "203"


def _declaration_segments(rows: list[dict]) -> list[Segment]:
    head = rows[0]

    def get(name: str) -> str | None:
        return _text(head.get(name))

    segments: list[Segment] = []
    kind = get("declaration_type")
    document = [DOCUMENT_NAME_FOR_TYPE.get(kind or "IM", "929")]
    if kind:
        document += ["", "", kind]
    segments.append(Segment("BGM", document, get("declaration_id"), MESSAGE_FUNCTION_ORIGINAL))
    if (moment := _moment(head.get("acceptance_datetime"))) is not None:
        segments.append(Segment("DTM", [ACCEPTANCE, moment[0], moment[1]]))
    for qualifier, name in HEADER_LOCATIONS.items():
        if (value := get(name)) is not None:
            segments.append(Segment("LOC", qualifier, value))
    for qualifier, name in (("DT", "declarant_id"), ("IM", "importer_id"), ("SE", "seller_id")):
        if (value := get(name)) is not None:
            segments.append(Segment("NAD", qualifier, value))
    if (mode := get("transport_mode")) is not None:
        segments.append(Segment("TDT", TRANSPORT_AT_BORDER, "", mode))
    if (incoterm := get("incoterm")) is not None:
        segments.append(Segment("TOD", DELIVERY_CONDITION, "", incoterm))
    currency, rate = get("invoice_currency"), get("exchange_rate")
    if currency is not None or rate is not None:
        segments.append(Segment("CUX", [REFERENCE_CURRENCY, currency or "", INVOICING_CURRENCY], "", rate or ""))
    segments.append(Segment("UNS", "D"))
    for position, row in enumerate(rows, start=1):
        def item(name: str, row: dict = row) -> str | None:
            return _text(row.get(name))

        cst = [item("item_number") or str(position), item("commodity_code") or ""]
        if (claim := item("preference_claim")) is not None:
            cst.append(claim)
        segments.append(Segment("CST", *cst))
        description = row.get("goods_description")
        if not _missing(description):
            description = str(description)
            chunks = [description[i:i + TEXT_COMPONENT] for i in range(0, len(description), TEXT_COMPONENT)]
            segments.append(Segment("FTX", GOODS_DESCRIPTION, "", "", chunks if len(chunks) > 1 else chunks[0]))
        if (origin := item("origin_country")) is not None:
            segments.append(Segment("LOC", "27", origin))
        for dimension, name in WEIGHTS.items():
            if (value := item(name)) is not None:
                segments.append(Segment("MEA", MEASUREMENT, dimension, ["KGM", value]))
        quantity, unit = item("quantity"), item("quantity_unit")
        if quantity is not None or unit is not None:
            segments.append(Segment("MEA", LINE_ITEM_MEASUREMENT, "", [unit or "", quantity or ""]))
        for qualifier, name in AMOUNTS.items():
            if (value := item(name)) is not None:
                segments.append(Segment("MOA", [qualifier, value]))
        kind, rate = item("tax_type"), item("duty_rate")
        if kind is not None or rate is not None:
            duty = (kind if len(kind) <= 3 else ["", "", "", kind]) if kind is not None else ""
            segments.append(Segment("TAX", ITEM_DUTY, duty, "", "", ["", "", "", rate or ""]))
    segments.append(Segment("UNS", "S"))
    return segments


def write_cusdec(frame: pd.DataFrame, sender: str = "SENDER", recipient: str = "CUSTOMS", *,
                 prepared_at: datetime | None = None, control_reference: str | None = None) -> str:
    """Serialise declarations (goods-item rows as in FIELDS) into a CUSDEC interchange, one message each.

    The inverse of :func:`read_cusdec`: rows are grouped by ``declaration_id`` in order of appearance, the
    header is taken from each declaration's first row. One segment per line; UNA advertises ``.`` as the
    decimal mark. The syntax identifier is UNOC:3 (Latin-1) unless some text needs UNOW:4 (UTF-8).
    ``prepared_at`` (default: now, UTC) and ``control_reference`` (default: derived from it) make the output
    reproducible.
    """
    groups: dict[str, list[dict]] = {}
    for position, record in enumerate(frame.to_dict("records"), start=1):
        key = _text(record.get("declaration_id"))
        if key is None:
            raise ValueError(f"row {record.get('row_number', position)} has no declaration_id")
        groups.setdefault(key, []).append(record)
    moment = prepared_at or datetime.now(UTC).replace(tzinfo=None)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    reference = control_reference or moment.strftime("%y%m%d%H%M%S")
    messages = []
    for number, rows in enumerate(groups.values(), start=1):
        message = Message(str(number), [MESSAGE_TYPE, *MESSAGE_VERSION])
        message.add_segments(_declaration_segments(rows))
        messages.append(message)

    def build(syntax: tuple[str, int]) -> str:
        interchange = _Interchange(sender, recipient, reference, syntax, timestamp=moment,
                                   characters=Characters(decimal_point="."))
        interchange.has_una_segment = True
        for message in messages:
            interchange.add_message(message)
        return interchange.serialize(break_lines=True)

    text = build(("UNOC", 3))
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        text = build(("UNOW", 4))
    return text
