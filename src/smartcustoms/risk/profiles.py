"""Risk profiles: targeting rules that officers write as data (YAML), and their vectorised evaluation.

A profile names the goods items it wants to see (criteria over declaration fields, all of which must hold), the
lane it asks for, a weight, a validity period, an owner and a written purpose::

    profile_id: P-STEEL-AD
    title: Flat steel from transshipment countries
    purpose: Anti-dumping duty on Chinese flat steel is dodged by declaring a transit country as origin.
    owner: Trade defence team
    lane: red
    weight: 70
    valid_from: 2025-01-01
    criteria:
      - field: commodity_code
        prefix: ["7208", "7210"]
      - field: origin_country
        in: [MY, TH, BD]

A file holds one profile (a mapping) or several (a list of mappings). Any problem (YAML syntax, an unknown key,
field or operator, an operator that does not fit the field's type, a missing purpose) raises ``ProfileError``
naming the file, the line and the reason. A profile in ``mode: shadow`` is evaluated and reported but selects
nothing; a ``Suppression`` silences one profile for one importer or one commodity until it expires.

Criteria: ``field`` plus exactly one operator.

=============  ==================================  ===========================================================
operator       fields                              meaning
=============  ==================================  ===========================================================
``prefix``     text                                starts with one of the listed prefixes (HS codes: digits)
``contains``   text                                contains one of the listed words (case-insensitive)
``in``         text, number                        one of the listed values
``not_in``     text, number                        none of the listed values (an empty field is "not in")
``equals``     text, number, yes/no                equal to the value
``between``    number, date-time                   ``[min, max]``, both ends included
``min``        number, date-time                   at least
``max``        number, date-time                   at most
``present``    text, number, date-time             ``true``: the field has a value; ``false``: it is empty
=============  ==================================  ===========================================================

Fields are the declaration fields (``smartcustoms.declarations.models.FIELDS``) and derived ones:
``unit_value`` (customs_value / quantity), ``value_per_kg`` (customs_value / net_mass), ``mass_ratio``
(gross_mass / net_mass: packaging is a few percent, hidden goods are more) and ``new_importer`` (the yes/no
column of the trader screen, when the frame has it). A criterion over a column the frame lacks matches no row.
"""

import json
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from smartcustoms.declarations.models import FIELDS, Declaration, GoodsItem
from smartcustoms.reference import countries
from smartcustoms.risk.valuation import factorize
from smartcustoms.yaml_limits import LimitedComposer, check_size

# --- fields and operators ---------------------------------------------------------------------------------------

Kind = Literal["text", "number", "datetime", "bool"]
OPERATORS = ("prefix", "contains", "in", "not_in", "equals", "between", "min", "max", "present")
OPERATORS_BY_KIND: dict[str, tuple[str, ...]] = {
    "text": ("prefix", "contains", "in", "not_in", "equals", "present"),
    "number": ("in", "not_in", "equals", "between", "min", "max", "present"),
    "datetime": ("between", "min", "max", "present"),
    "bool": ("equals",),
}
DERIVED_FIELDS: dict[str, tuple[Kind, str]] = {
    "unit_value": ("number", "customs_value / quantity"),
    "value_per_kg": ("number", "customs_value / net_mass"),
    "mass_ratio": ("number", "gross_mass / net_mass"),
    "new_importer": ("bool", "importer new to the administration (column of the trader screen)"),
}
_COUNTRY_FIELDS = frozenset({"origin_country", "dispatch_country"})


def _field_info(name: str):
    return Declaration.model_fields.get(name) or GoodsItem.model_fields[name]


def _kind_and_choices(name: str) -> tuple[Kind, frozenset[str] | None]:
    """Type of a declaration field, and its allowed values when the model fixes them (a Literal)."""
    annotation = _field_info(name).annotation
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    args = [typing.get_args(arg)[0] if typing.get_origin(arg) is Annotated else arg
            for arg in (typing.get_args(annotation) if union else (annotation,)) if arg is not type(None)]
    if all(arg in (int, float) for arg in args):
        return "number", None
    if datetime in args:
        return "datetime", None
    literals = [arg for arg in args if typing.get_origin(arg) is Literal]
    return "text", frozenset(v for lit in literals for v in typing.get_args(lit)) if literals else None


_DECLARED = {name: _kind_and_choices(name) for name in FIELDS}
FIELD_KINDS: dict[str, Kind] = {
    **{name: kind for name, (kind, _) in _DECLARED.items()},
    **{name: kind for name, (kind, _) in DERIVED_FIELDS.items()},
}
_CHOICES = {name: choices for name, (_, choices) in _DECLARED.items() if choices}


def _known_fields() -> str:
    return ", ".join(FIELD_KINDS)


# --- models -----------------------------------------------------------------------------------------------------

ProfileId = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Z0-9][A-Z0-9._-]*$",
                                 description="stable across versions, e.g. P-STEEL-AD")]
Lane = Literal["yellow", "red", "blue"]


def _criterion_error(reason: str, key: str | None = None) -> PydanticCustomError:
    return PydanticCustomError("profile_criterion", "{reason}", {"reason": reason, "key": key})


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.10g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes" if value.second == 0 else "seconds")
    return str(value)


def _as_list(value: Any, op: str) -> list:
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not items:
        raise _criterion_error(f"'{op}' needs at least one value", op)
    return items


class Criterion(BaseModel):
    """One condition on one field. In YAML: ``{field: origin_country, in: [CN, VN]}``."""

    model_config = ConfigDict(frozen=True)

    field: str
    op: str
    value: Any

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> dict:
        if isinstance(data, Criterion):
            return {"field": data.field, "op": data.op, "value": data.value}
        if not isinstance(data, dict):
            raise _criterion_error("a criterion is a mapping: field plus one operator, e.g. "
                                   "{field: origin_country, in: [CN, VN]}")
        data = dict(data)
        if "op" in data:  # the internal form {field, op, value}
            data = {"field": data.get("field"), data["op"]: data.get("value")}
        field = data.pop("field", None)
        if field is None:
            raise _criterion_error(f"criterion has no 'field' (one of: {_known_fields()})")
        if not isinstance(field, str) or field not in FIELD_KINDS:
            raise _criterion_error(f"unknown field {field!r} (known: {_known_fields()})", "field")
        kind = FIELD_KINDS[field]
        for key in data:
            if key not in OPERATORS:
                raise _criterion_error(f"unknown operator {key!r} on field '{field}' "
                                       f"(use one of: {', '.join(OPERATORS_BY_KIND[kind])})", key)
        if len(data) != 1:
            found = f"found {', '.join(map(repr, data))}" if data else "found none"
            raise _criterion_error(f"criterion on '{field}' needs exactly one operator, {found} "
                                   f"(one of: {', '.join(OPERATORS_BY_KIND[kind])})", next(iter(data), None))
        ((op, value),) = data.items()
        if op not in OPERATORS_BY_KIND[kind]:
            raise _criterion_error(f"operator '{op}' does not fit {kind} field '{field}' "
                                   f"(use one of: {', '.join(OPERATORS_BY_KIND[kind])})", op)
        return {"field": field, "op": op, "value": _coerce(field, kind, op, value)}

    @model_serializer
    def _dump(self) -> dict:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"field": self.field, self.op: value}

    @property
    def kind(self) -> Kind:
        return FIELD_KINDS[self.field]

    def describe(self) -> str:
        """Readable text, e.g. "commodity_code starts with 7208 or 7210"."""
        f, v = self.field, self.value
        match self.op:
            case "prefix":
                return f"{f} starts with {' or '.join(v)}"
            case "contains":
                return f"{f} contains {' or '.join(repr(word) for word in v)}"
            case "in" | "not_in":
                return f"{f} {self.op.replace('_', ' ')} [{', '.join(_format_value(x) for x in v)}]"
            case "equals":
                return f"{f} is {_format_value(v)}" if self.kind == "bool" else f"{f} = {_format_value(v)}"
            case "between":
                return f"{f} between {_format_value(v[0])} and {_format_value(v[1])}"
            case "min":
                return f"{f} >= {_format_value(v)}"
            case "max":
                return f"{f} <= {_format_value(v)}"
            case _:  # present
                return f"{f} is {'given' if v else 'empty'}"


def _coerce(field: str, kind: Kind, op: str, value: Any) -> Any:
    """Check and normalise an operator's value for a field of the given kind."""
    if op == "present" or kind == "bool":
        if not isinstance(value, bool):
            raise _criterion_error(f"'{op}' on '{field}' takes true or false, got {value!r}", op)
        return value
    if op == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise _criterion_error(f"'between' on '{field}' takes [min, max], got {value!r}", op)
        low, high = (_scalar(field, kind, op, x) for x in value)
        if low > high:
            raise _criterion_error(f"'between' on '{field}': min {_format_value(low)} is above max "
                                   f"{_format_value(high)}", op)
        return (low, high)
    if op in ("min", "max", "equals"):
        return _scalar(field, kind, op, value)
    items = tuple(_scalar(field, kind, op, x) for x in _as_list(value, op))
    if op == "contains":
        return tuple(item.lower() for item in items)
    return items


def _scalar(field: str, kind: Kind, op: str, value: Any) -> Any:
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise _criterion_error(f"'{op}' on number field '{field}' takes numbers, got {value!r}", op)
        return float(value)
    if kind == "datetime":
        try:
            if isinstance(value, datetime):
                return value.replace(tzinfo=None)
            if isinstance(value, date):
                return datetime.combine(value, time())
            return datetime.fromisoformat(str(value))
        except ValueError:
            raise _criterion_error(f"'{op}' on '{field}' takes dates or date-times (2025-01-31 or "
                                   f"2025-01-31T18:00), got {value!r}", op) from None
    # text: unquoted YAML numbers (7208) are read as text; anything else must be a string
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _criterion_error(f"'{op}' on text field '{field}' takes text, got {value!r} (put it in quotes)", op)
    text = str(value).strip()
    if not text:
        raise _criterion_error(f"'{op}' on '{field}' has an empty value", op)
    if field == "commodity_code" and not (text.isdigit() and 2 <= len(text) <= 10):
        raise _criterion_error(f"commodity code {'prefix' if op == 'prefix' else 'value'} must be 2 to 10 "
                               f"digits, got {text!r}", op)
    if field in _COUNTRY_FIELDS and op != "contains" and op != "prefix" and text not in countries.country_codes():
        raise _criterion_error(f"unknown ISO 3166 country code {text!r} in '{field}'", op)
    choices = _CHOICES.get(field)
    if choices and op in ("in", "not_in", "equals") and text not in choices:
        raise _criterion_error(f"{text!r} is not a valid {field} (one of: {', '.join(sorted(choices))})", op)
    return text


class Profile(BaseModel):
    """One version of a risk profile. ``version`` is None until the profile is committed to the store."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    profile_id: ProfileId
    version: int | None = Field(None, ge=1, description="set at commit, never by the author")
    title: str = Field(min_length=1, max_length=200)
    purpose: str = Field(description="why this profile exists: the risk it targets and the evidence for it")
    owner: str = Field(min_length=1, max_length=100, description="team or officer answerable for it")
    lane: Lane
    weight: float = Field(ge=0, le=100, allow_inf_nan=False)
    valid_from: date | None = None
    valid_to: date | None = None
    mode: Literal["active", "shadow"] = "active"
    force: bool = Field(False, description="red whatever the capacity (prohibited goods); needs lane red")
    criteria: tuple[Criterion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _force_is_red(self) -> "Profile":
        if self.force and self.lane != "red":
            raise ValueError("force: true needs lane: red")
        return self

    @field_validator("purpose")
    @classmethod
    def _purpose_written(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("purpose must not be empty: say what risk this profile targets and why")
        return value

    @field_validator("valid_from", "valid_to", mode="before")
    @classmethod
    def _date_only(cls, value):
        return value.date() if isinstance(value, datetime) and value.time() == time() else value

    @model_validator(mode="after")
    def _period(self) -> "Profile":
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self

    @property
    def shadow(self) -> bool:
        return self.mode == "shadow"

    def describe(self) -> str:
        """The criteria as one readable line: "commodity_code starts with 7208; origin_country in [CN, VN]"."""
        return "; ".join(criterion.describe() for criterion in self.criteria)

    def content(self) -> dict:
        """What the author wrote, as plain JSON-able data (without the version)."""
        return self.model_dump(mode="json", exclude={"version"})

    def content_json(self) -> str:
        """Canonical JSON of the content: equal strings mean equal profiles."""
        return json.dumps(self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def to_yaml(self) -> str:
        """The profile as YAML that ``parse_profiles`` reads back to an equal profile."""
        content = {key: value for key, value in self.content().items() if value is not None}
        return yaml.safe_dump(content, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)


class Suppression(BaseModel):
    """Silence one profile for one importer or one commodity (code prefix) until ``expires_at``.

    The usual cure for repeated false alarms: hits stay in the output, flagged ``suppressed``, but select nothing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    suppression_id: int | None = None
    profile_id: ProfileId
    importer_id: str | None = Field(None, min_length=1, max_length=35)
    commodity_prefix: str | None = Field(None, pattern=r"^[0-9]{2,10}$")
    reason: str = Field(min_length=1)
    expires_at: datetime
    created_by: str = Field(min_length=1, max_length=100)
    created_at: datetime | None = Field(None, description="in force from then on; None: always")

    @field_validator("expires_at", "created_at")
    @classmethod
    def _naive(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=None) if value is not None else None

    @model_validator(mode="after")
    def _one_target(self) -> "Suppression":
        if (self.importer_id is None) == (self.commodity_prefix is None):
            raise ValueError("a suppression names either one importer_id or one commodity_prefix")
        if self.created_at is not None and self.expires_at <= self.created_at:
            raise ValueError(f"expires_at {self.expires_at} is not after created_at {self.created_at}")
        return self

    def target(self) -> str:
        return f"importer {self.importer_id}" if self.importer_id else f"commodity {self.commodity_prefix}*"


# --- parsing ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    source: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.source} line {self.line}: {self.reason}" if self.line else f"{self.source}: {self.reason}"


class ProfileError(ValueError):
    """A profile file that cannot be accepted. ``problems`` lists them all, in file order; ``line`` and
    ``reason`` are the first one's."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        first = self.problems[0]
        self.source, self.line, self.reason = first.source, first.line, first.reason
        super().__init__("\n".join(str(problem) for problem in self.problems))


class _Loader(LimitedComposer, yaml.SafeLoader):
    """YAML 1.2-like scalars: only true/false are booleans (NO is Norway) and 0703 is text, not octal; within
    the limits of smartcustoms.yaml_limits (aliases, size once expanded, depth)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"),
                              list("-+0123456789"))

KeyPath = tuple[str | int, ...]


class _Located:
    """Plain Python data from a YAML node tree, remembering the line of every key and value."""

    def __init__(self, source: str):
        self.source = source
        self.lines: dict[KeyPath, int] = {}
        self.key_lines: dict[KeyPath, int] = {}
        self.problems: list[Problem] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def convert(self, node: yaml.Node, path: KeyPath = ()) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result: dict = {}
            for key_node, value_node in node.value:
                key = self._constructor.construct_object(key_node, deep=True)
                key = key if isinstance(key, str) else str(key)
                if key in result:
                    self.problems.append(Problem(self.source, key_node.start_mark.line + 1,
                                                 f"key '{key}' appears twice"))
                self.key_lines[(*path, key)] = key_node.start_mark.line + 1
                result[key] = self.convert(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._constructor.construct_object(node, deep=True)

    def line(self, path: KeyPath) -> int | None:
        while True:
            if path in self.key_lines:
                return self.key_lines[path]
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def _reason(error: dict) -> tuple[KeyPath, str]:
    """Path and readable reason of one pydantic error."""
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    if error["type"] == "profile_criterion":
        key = ctx.get("key")
        return ((*loc, key) if key else loc), ctx["reason"]
    name = ".".join(str(part) for part in loc)
    if error["type"] == "missing":
        hint = ": say what risk this profile targets and why" if loc == ("purpose",) else ""
        return loc, f"'{name}' is missing{hint}"
    if error["type"] == "too_short" and loc == ("criteria",):
        return loc, "'criteria' is empty: a profile needs at least one criterion"
    if error["type"] == "extra_forbidden":
        known = ", ".join(name for name in Profile.model_fields if name != "version")
        return loc, f"unknown key '{name}' (known: {known})"
    message = error["msg"].removeprefix("Value error, ")
    return loc, message if not name or message.startswith(name) else f"{name}: {message}"


def _yaml_problem(exc: yaml.YAMLError, source: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem, context = getattr(exc, "problem", None), getattr(exc, "context", None)
    what = f"{problem} ({context})" if problem and context else problem or context or str(exc)
    return Problem(source, mark.line + 1 if mark else None, f"YAML syntax: {what}")


def parse_profiles(text: str, source_name: str = "<profiles>") -> list[Profile]:
    """Parse a YAML text holding one profile (a mapping) or several (a list of mappings; several documents
    separated by --- work too). Nothing is returned unless every profile is valid: otherwise ProfileError."""
    try:
        check_size(text)
        documents = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        raise ProfileError([_yaml_problem(exc, source_name)]) from None
    profiles: list[Profile] = []
    problems: list[Problem] = []
    seen: dict[str, int | None] = {}
    for document in documents:
        if document is None:
            continue
        if isinstance(document, yaml.SequenceNode):
            items = document.value
        elif isinstance(document, yaml.MappingNode):
            items = [document]
        else:
            problems.append(Problem(source_name, document.start_mark.line + 1,
                                    "expected a profile (a mapping) or a list of profiles"))
            continue
        for node in items:
            located = _Located(source_name)
            if not isinstance(node, yaml.MappingNode):
                problems.append(Problem(source_name, node.start_mark.line + 1,
                                        "expected a profile: a mapping of profile_id, title, purpose, ..."))
                continue
            data = located.convert(node)
            problems += located.problems
            if "version" in data:
                problems.append(Problem(source_name, located.line(("version",)),
                                        "'version' is set when the profile is committed: remove it"))
                del data["version"]
            try:
                profile = Profile.model_validate(data)
            except ValidationError as exc:
                errors = exc.errors()
                failed_criteria = any(len(e["loc"]) > 1 and e["loc"][0] == "criteria" for e in errors)
                for error in errors:
                    if failed_criteria and error["type"] == "too_short" and tuple(error["loc"]) == ("criteria",):
                        continue  # every criterion failed: their own errors say why
                    path, reason = _reason(error)
                    problems.append(Problem(source_name, located.line(path), reason))
                continue
            if profile.profile_id in seen:
                problems.append(Problem(source_name, located.line(("profile_id",)),
                                        f"profile_id '{profile.profile_id}' is already defined on line "
                                        f"{seen[profile.profile_id]}"))
                continue
            seen[profile.profile_id] = located.line(("profile_id",))
            profiles.append(profile)
    if problems:
        raise ProfileError(sorted(problems, key=lambda p: p.line or 0))
    if not profiles:
        raise ProfileError([Problem(source_name, None, "no profile found")])
    return profiles


def profile_files(path: str | Path) -> list[Path]:
    """The YAML files of a directory (sorted, not recursive), or the file itself."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def load_profile_dir(path: str | Path) -> list[Profile]:
    """Every profile of every YAML file in a directory (or of one file). A profile ID defined twice, or any
    problem in any file, raises ProfileError with all problems found."""
    profiles: list[Profile] = []
    problems: list[Problem] = []
    where: dict[str, str] = {}
    for file in profile_files(path):
        try:
            parsed = parse_profiles(file.read_text(encoding="utf-8"), str(file))
        except ProfileError as exc:
            problems += exc.problems
            continue
        for profile in parsed:
            if profile.profile_id in where:
                problems.append(Problem(str(file), None, f"profile_id '{profile.profile_id}' is already defined "
                                                          f"in {where[profile.profile_id]}"))
            where[profile.profile_id] = str(file)
            profiles.append(profile)
    if problems:
        raise ProfileError(problems)
    return profiles


# --- evaluation -------------------------------------------------------------------------------------------------

HIT_COLUMNS = ["row", "profile_id", "version", "lane", "weight", "force", "shadow", "suppressed", "selects",
               "matched"]


def _naive_datetimes(series: pd.Series) -> np.ndarray:
    if isinstance(series.dtype, np.dtype) and series.dtype.kind == "M":  # naive already
        return series.to_numpy(dtype="datetime64[ns]")
    if not pd.api.types.is_datetime64_any_dtype(series):
        series = pd.to_datetime(series, errors="coerce", format="ISO8601")
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    return series.to_numpy(dtype="datetime64[ns]")


@lru_cache(maxsize=1024)
def _moment(value: date | datetime) -> np.datetime64:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return np.datetime64(value.replace(tzinfo=None), "ns")


_DERIVED_INPUTS = {"unit_value": ("customs_value", "quantity"), "value_per_kg": ("customs_value", "net_mass"),
                   "mass_ratio": ("gross_mass", "net_mass")}


class _Frame:
    """Column access for evaluation: text columns are factorised once, so that a criterion is decided on the
    distinct values and spread to the rows with one take."""

    def __init__(self, frame: pd.DataFrame, extra: Mapping[str, Any] | None = None):
        self.frame = frame
        self.extra = extra or {}  # columns beside the frame's (the screens' new_importer), one value per row
        self.n = len(frame)
        self._text: dict[str, tuple[np.ndarray, list[str | None]]] = {}
        self._numbers: dict[str, np.ndarray] = {}
        self._times: dict[str, np.ndarray] = {}

    def has(self, field: str) -> bool:
        return all(name in self.frame.columns or name in self.extra for name in _DERIVED_INPUTS.get(field, (field,)))

    def column(self, field: str) -> pd.Series:
        if field in self.extra:
            return pd.Series(self.extra[field], copy=False)
        return self.frame[field]

    def text(self, field: str) -> tuple[np.ndarray, list[str | None]]:
        if field not in self._text:
            # a dict on a few rows, pd.factorize on more: the same codes and values
            codes, uniques = factorize(self.column(field), use_na_sentinel=True)
            values = [None if u is None or u == "" else str(u) for u in uniques]
            self._text[field] = (codes, values)
        return self._text[field]

    def numbers(self, field: str) -> np.ndarray:
        if field not in self._numbers:
            if field in _DERIVED_INPUTS:
                top, bottom = _DERIVED_INPUTS[field]
                with np.errstate(divide="ignore", invalid="ignore"):
                    values = self.numbers(top) / self.numbers(bottom)
                values[~np.isfinite(values)] = np.nan
            else:
                column = self.column(field)
                if not (isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub"):  # numbers: as they are
                    column = pd.to_numeric(column, errors="coerce")
                values = column.to_numpy(dtype="float64", na_value=np.nan)
            self._numbers[field] = values
        return self._numbers[field]

    def times(self, field: str) -> np.ndarray:
        if field not in self._times:
            self._times[field] = _naive_datetimes(self.column(field))
        return self._times[field]

    def text_mask(self, field: str, test) -> np.ndarray:
        """Rows whose value passes ``test(value or None)``, decided once per distinct value."""
        codes, values = self.text(field)
        decided = np.fromiter((test(v) for v in [*values, None]), dtype=bool, count=len(values) + 1)
        return decided[codes]  # code -1 (a missing value): the last, test(None)

    def mask(self, c: Criterion) -> np.ndarray:
        if not self.has(c.field):
            return np.zeros(self.n, dtype=bool)
        kind, op, v = c.kind, c.op, c.value
        if kind == "text":
            tests = {
                "prefix": lambda x: x is not None and x.startswith(v),
                "contains": lambda x: x is not None and any(word in x.lower() for word in v),
                "in": lambda x: x in v,
                "not_in": lambda x: x not in v,
                "equals": lambda x: x == v,
                "present": lambda x: (x is not None) == v,
            }
            return self.text_mask(c.field, tests[op])
        if kind == "bool":
            given = self.extra.get(c.field)
            if isinstance(given, np.ndarray) and given.dtype == bool:  # nothing missing (the screens' new_importer)
                return given == v
            column = self.column(c.field)
            known = column.notna().to_numpy()
            return known & (column.fillna(not v).astype(bool).to_numpy() == v)
        if kind == "datetime":
            x = self.times(c.field)
            if op == "present":
                return ~np.isnat(x) if v else np.isnat(x)
            low = _moment(v[0] if op == "between" else v) if op != "max" else None
            high = _moment(v[1] if op == "between" else v) if op != "min" else None
        else:
            x = self.numbers(c.field)
            if op == "present":
                return ~np.isnan(x) if v else np.isnan(x)
            if op in ("in", "not_in"):
                found = np.isin(x, np.asarray(v, dtype="float64"))
                return found if op == "in" else ~found
            if op == "equals":
                return x == v
            low = v[0] if op == "between" else v if op == "min" else None
            high = v[1] if op == "between" else v if op == "max" else None
        result = np.ones(self.n, dtype=bool)
        if low is not None:
            result &= x >= low
        if high is not None:
            result &= x <= high
        return result


@lru_cache(maxsize=8)
def _empty_hits_of(dtype) -> pd.DataFrame:
    return pd.DataFrame({
        "row": pd.Series([], dtype=dtype), "profile_id": pd.Series([], dtype=object),
        "version": pd.Series([], dtype="int64"), "lane": pd.Series([], dtype=object),
        "weight": pd.Series([], dtype="float64"), "force": pd.Series([], dtype=bool),
        "shadow": pd.Series([], dtype=bool),
        "suppressed": pd.Series([], dtype=bool), "selects": pd.Series([], dtype=bool),
        "matched": pd.Series([], dtype=object),
    })


def _empty_hits(index: pd.Index) -> pd.DataFrame:
    """No hits (built once per index type: one-declaration calls mostly hit nothing)."""
    return _empty_hits_of(index.dtype)


def evaluate(
    profiles: Iterable[Profile],
    frame: pd.DataFrame,
    suppressions: Iterable[Suppression] = (),
    on: date | datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Every hit of every profile on a declarations frame, one row per (frame row, profile):

    ``row`` (the frame's index label), ``profile_id``, ``version`` (0 for a profile never committed), ``lane``,
    ``weight``, ``shadow``, ``suppressed``, ``selects`` (neither shadow nor suppressed: the hit may choose the
    lane) and ``matched`` (the criteria as text). A profile hits a row when the row's acceptance date lies in its
    validity period and every criterion holds.

    ``on`` is the moment of the decision: suppressions in force then apply (by default, those in force at each
    row's acceptance_datetime); it also stands in for acceptance_datetime when the frame has no such column.
    ``extra``: columns beside the frame's (one value per row, e.g. the screens' ``new_importer``).
    """
    hits = hit_columns(profiles, frame, suppressions, on, extra)
    if hits is None:
        return _empty_hits(frame.index)
    hits["row"] = frame.index[hits["row"]]
    return pd.DataFrame(hits)[HIT_COLUMNS]


def hit_columns(
    profiles: Iterable[Profile],
    frame: pd.DataFrame,
    suppressions: Iterable[Suppression] = (),
    on: date | datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """`evaluate`'s hits as columns (arrays; ``row``: the positions of the rows), in the same order; None without
    any hit. What `risk.assess` reads for a declaration being lodged: no frame."""
    profiles = list(profiles)
    suppressions = list(suppressions)
    columns = _Frame(frame, extra)
    n = len(frame)
    if n == 0 or not profiles:
        return None
    accepted = columns.times("acceptance_datetime") if columns.has("acceptance_datetime") else None
    when = np.full(n, _moment(on)) if on is not None else accepted
    if accepted is None:
        accepted = when
    needs_time = any(p.valid_from or p.valid_to for p in profiles) or bool(suppressions)
    if needs_time and accepted is None:
        raise ValueError("the frame has no acceptance_datetime: pass on= to check validity and suppressions")
    by_profile: dict[str, list[Suppression]] = {}
    for s in suppressions:
        by_profile.setdefault(s.profile_id, []).append(s)

    hit: list[Profile] = []  # each profile that hits, its rows, and which of them are suppressed
    positions, suppressions_of = [], []
    for profile in profiles:
        mask = np.ones(n, dtype=bool)
        if profile.valid_from:
            mask &= accepted >= _moment(profile.valid_from)
        if profile.valid_to:
            mask &= accepted < _moment(profile.valid_to + timedelta(days=1))
        for criterion in profile.criteria:
            if not mask.any():
                break
            mask &= columns.mask(criterion)
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            continue
        suppressed = np.zeros(rows.size, dtype=bool)
        for s in by_profile.get(profile.profile_id, ()):
            in_force = when[rows] < _moment(s.expires_at)
            if s.created_at is not None:
                in_force &= when[rows] >= _moment(s.created_at)
            target = Criterion(field="importer_id", op="equals", value=s.importer_id) if s.importer_id \
                else Criterion(field="commodity_code", op="prefix", value=[s.commodity_prefix])
            suppressed |= in_force & columns.mask(target)[rows]
        hit.append(profile)
        positions.append(rows)
        suppressions_of.append(suppressed)
    if not positions:
        return None
    counts = [rows.size for rows in positions]

    def each(values, dtype) -> np.ndarray:  # one value per profile, repeated for each of its hits
        return np.repeat(np.array(values, dtype=dtype), counts)

    suppressed = np.concatenate(suppressions_of)
    shadow = each([p.shadow for p in hit], bool)
    return {"row": np.concatenate(positions), "profile_id": each([p.profile_id for p in hit], object),
            "version": each([p.version or 0 for p in hit], np.int64), "lane": each([p.lane for p in hit], object),
            "weight": each([float(p.weight) for p in hit], float), "force": each([p.force for p in hit], bool),
            "shadow": shadow, "suppressed": suppressed, "selects": ~suppressed & ~shadow,
            "matched": each([p.describe() for p in hit], object)}
