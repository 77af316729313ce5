"""Numbers and dates as people write them, read by their locale (Babel's CLDR data): "24,500", "24 500" and
"24.500,00" are read the way the writer meant them, or refused as ambiguous, never silently misread.

Pure functions, no web and no database: the forms that take amounts (a customs value, a duty) and dates call
them, and show values back with ``show_amount`` / ``show_datetime`` in the same locale.

Reading an amount (``read_amount(text, locale)``):
- spaces of any kind (space, no-break space, narrow no-break space, thin space) and apostrophes group thousands
  in every locale: "24 500" is 24500;
- with both "." and ",", the last one is the decimal mark: "24.500,00" and "24,500.00" are both 24500;
- one mark used several times groups thousands: "1,234,567" and "1.234.567";
- one mark used once with other than three digits after it is the decimal mark: "24,5", "24.50";
- one mark used once with exactly three digits after it ("24,500", "24.500") is the locale's thousands mark when
  it is one (English "24,500" is 24500), and otherwise refused as ambiguous (French "24,500" could be 24.5 or
  24500: the writer is asked to write "24 500" or "24,5");
- groups must have three digits ("2,45,00" is refused).

Refusals are ``smartcustoms.refusals.Refusal`` with the codes ``number_missing``, ``number_invalid``,
``number_ambiguous``, ``datetime_invalid`` and the field the caller names.
"""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time, get_date_format
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

from smartcustoms.refusals import Refusal

SPACES = " \u00a0\u202f\u2009'\u2019"  # thousands groupings that are never a decimal mark
MARKS = ".,"
REGIONS = {"en": "en_GB", "fr": "fr_FR"}  # a language without a region: the day-month-year, 24-hour style


def format_locale(language: str, accept_language: str | None = None) -> str:
    """The locale for numbers and dates: the region the browser names for this language (en-GB -> en_GB, en-US ->
    en_US, fr-CA -> fr_CA), else REGIONS' default (en_GB, fr_FR)."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag.lower().startswith(language.lower() + "_"):
            try:
                return str(Locale.parse(tag))
            except (ValueError, UnknownLocaleError):
                continue
    return REGIONS.get(language, language)


def _symbols(locale: str) -> tuple[str, str]:
    return get_decimal_symbol(locale), get_group_symbol(locale)


def _groups_ok(integer: str, marks: str) -> bool:
    """The integer part, split on its grouping marks: a first group of 1-3 digits, then groups of 3."""
    parts = re.split(f"[{re.escape(marks)}]", integer)
    return (len(parts) == 1 or (1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:]))) \
        and all(p.isdigit() for p in parts)


def read_amount(text: str | None, locale: str = "en_GB", *, field: str | None = None) -> Decimal:
    """The number a person wrote, read by the rules above; Refusal on `field` when it cannot be read for sure."""
    raw = (text or "").strip()
    if not raw:
        raise Refusal("number_missing", "enter a number", field=field)
    sign = ""
    if raw[0] in "+-\u2212":
        sign, raw = ("-" if raw[0] != "+" else ""), raw[1:].strip()
    decimal_symbol, group_symbol = _symbols(locale)
    spaced = any(c in SPACES for c in raw) or (group_symbol in SPACES and group_symbol in raw)
    if not raw or not all(c.isdigit() or c in SPACES or c in MARKS for c in raw) or not raw[0].isdigit() \
            or not raw[-1].isdigit():
        raise Refusal("number_invalid", f"{text!r} is not a number", field=field, value=text)
    marks = [c for c in raw if c in MARKS]
    kinds = set(marks)
    if len(kinds) == 2:  # the last mark is the decimal one; the other groups
        decimal = raw[max(raw.rfind("."), raw.rfind(","))]
        integer, _, fraction = raw.rpartition(decimal)
        if decimal in integer:
            raise Refusal("number_invalid", f"{text!r} is not a number", field=field, value=text)
        group = SPACES + ("," if decimal == "." else ".")
    elif len(kinds) == 1 and len(marks) > 1:  # the same mark several times: thousands
        integer, fraction, group = raw, "", SPACES + marks[0]
    elif len(kinds) == 1:
        mark = marks[0]
        integer, _, fraction = raw.partition(mark)
        plain = integer.translate({ord(c): None for c in SPACES})
        if len(fraction) == 3 and not spaced and plain not in ("0", ""):
            if mark == group_symbol:
                integer, fraction = raw, ""
                group = SPACES + mark
            else:  # the locale's decimal mark, or a mark the locale does not use, before 3 digits
                raise Refusal("number_ambiguous", f"{text!r} could be read two ways: write the thousands with "
                              f"spaces (24 500) and the decimals after {decimal_symbol!r}", field=field, value=text,
                              decimal_symbol=decimal_symbol)
        else:
            group = SPACES
    else:
        integer, fraction, group = raw, "", SPACES
    if not _groups_ok(integer, group) or (fraction and not fraction.isdigit()):
        raise Refusal("number_invalid", f"{text!r} is not a number: group the thousands by three", field=field,
                      value=text)
    digits = integer.translate({ord(c): None for c in group})
    try:
        return Decimal(f"{sign}{digits}.{fraction}" if fraction else f"{sign}{digits}")
    except InvalidOperation:  # pragma: no cover - guarded by the checks above
        raise Refusal("number_invalid", f"{text!r} is not a number", field=field, value=text) from None


def show_amount(value, locale: str = "en_GB", digits: int = 2) -> str:
    """An amount as the locale writes it, with `digits` decimals (24,500.00; 24 500,00)."""
    return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""), locale=locale)


def change_factor(before, after) -> float:
    """How many times larger or smaller `after` is than `before` (>= 1; inf when one of them is 0 and not the
    other): 927.50 -> 6.49 is a factor of 143."""
    before, after = abs(float(before or 0)), abs(float(after or 0))
    if before == after:
        return 1.0
    if before == 0 or after == 0:
        return float("inf")
    return max(before / after, after / before)


# --- dates and times ---------------------------------------------------------------------------------------------


def date_pattern(locale: str) -> str:
    """The locale's short date as people type it, with 4-digit years: dd/MM/y (en_GB, fr_FR), M/d/y (en_US)."""
    return get_date_format("short", locale=locale).pattern.replace("yy", "y").replace("yyy", "y")


def uses_24_hours(locale: str) -> bool:
    return "H" in str(Locale.parse(locale).time_formats["short"].pattern)


def show_datetime(value: datetime | None, locale: str = "en_GB") -> str:
    """A moment as the locale writes it: 07/12/2026, 14:30 (en_GB), 12/7/26, 2:30 PM (en_US), 07/12/2026 14:30."""
    if value is None:
        return ""
    return f"{show_date(value, locale)} {format_time(value, 'short', locale=locale)}"


def show_date(value: date | datetime | None, locale: str = "en_GB") -> str:
    return "" if value is None else format_date(value, date_pattern(locale), locale=locale)


def read_datetime(text: str | None, locale: str = "en_GB", *, field: str | None = None) -> datetime:
    """A date and time as typed: ISO (2026-12-07T14:30, what a browser's datetime picker sends) or the locale's
    short date and a time (07/12/2026 14:30 in en_GB; 12/7/2026 2:30 PM in en_US). No time: midnight."""
    raw = (text or "").strip()
    if not raw:
        raise Refusal("datetime_missing", "enter a date", field=field)
    try:
        return datetime.fromisoformat(raw.replace(" ", "T", 1) if re.match(r"^\d{4}-\d\d-\d\d \d", raw) else raw)
    except ValueError:
        pass
    match = re.match(r"^(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})(?:[ ,T]+(\d{1,2})[:h.](\d{2})(?::(\d{2}))?\s*"
                     r"([AaPp]\.?[Mm]\.?)?)?$", raw)
    if not match:
        raise Refusal("datetime_invalid", f"{text!r} is not a date: write it as {date_pattern(locale)} HH:mm",
                      field=field, value=text, pattern=date_pattern(locale))
    first, second, third, hour, minute, second_of, half = match.groups()
    order = [c for c in date_pattern(locale) if c in "dMy"]
    order = list(dict.fromkeys(order))  # e.g. ['d', 'M', 'y']
    parts = dict(zip(order, (first, second, third)))
    try:
        year = int(parts["y"]) + (2000 if len(parts["y"]) <= 2 else 0)
        hours = int(hour or 0)
        if half:
            if not 1 <= hours <= 12:
                raise ValueError
            hours = hours % 12 + (12 if half[0] in "pP" else 0)
        return datetime(year, int(parts["M"]), int(parts["d"]), hours, int(minute or 0), int(second_of or 0))
    except (ValueError, KeyError):
        raise Refusal("datetime_invalid", f"{text!r} is not a date: write it as {date_pattern(locale)} HH:mm",
                      field=field, value=text, pattern=date_pattern(locale)) from None


def show_moment(value: datetime | None, locale: str = "en_GB", length: str = "medium") -> str:
    """Babel's own datetime format of a length, in the locale (24-hour where the locale uses it)."""
    return "" if value is None else format_datetime(value, length, locale=locale)
