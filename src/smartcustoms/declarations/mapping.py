"""Column mappings: how a source file's columns become model fields (YAML, see mappings/*.yaml)."""

from importlib import resources
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from smartcustoms import yaml_limits
from smartcustoms.declarations.models import (
    ATTRIBUTE_NAME,
    FIELDS,
    MAX_ATTRIBUTES,
    REQUIRED_FIELDS,
    attributes_json,
)


class IntakeError(ValueError):
    """The whole file cannot be read (nothing imported); the message says why and where."""


def _known(names) -> None:
    unknown = sorted(set(names) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown model field(s) {unknown}; known fields: {', '.join(FIELDS)}")


class Attribute(BaseModel):
    """A declared column kept as an additional attribute (``attributes`` of the declaration, JSON): its source
    column and its type: ``code`` (text of letters, digits and . _ / -, compared as a category), ``text`` or
    ``number`` (a value that does not read as one is a reject of its row)."""

    model_config = ConfigDict(extra="forbid")

    column: str
    type: Literal["code", "text", "number"] = "code"


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    columns: dict[str, str]  # model field -> source column
    constants: dict[str, str] = {}  # model field -> fixed value
    copy_: dict[str, str] = {}  # model field -> another model field
    values: dict[str, dict[str, str]] = {}  # model field -> {source value: model value}
    ignore: list[str] = []  # source columns known and deliberately left out
    attributes: dict[str, Attribute] = {}  # additional attribute name -> its source column and type

    @field_validator("attributes")
    @classmethod
    def _attribute_names(cls, value: dict) -> dict:
        wrong = [name for name in value if not ATTRIBUTE_NAME.match(name)]
        if wrong:
            raise ValueError(f"attribute names must be lower-case letters, digits and _ (at most 40): {wrong}")
        if len(value) > MAX_ATTRIBUTES:
            raise ValueError(f"at most {MAX_ATTRIBUTES} additional attributes")
        return value

    @model_validator(mode="before")
    @classmethod
    def _rename_copy(cls, data):
        if isinstance(data, dict) and "copy" in data:
            data = {**data, "copy_": data["copy"]}
            del data["copy"]
        return data

    @field_validator("columns", "constants", "copy_", "values")
    @classmethod
    def _fields_exist(cls, value: dict) -> dict:
        _known(value)
        return value

    @field_validator("constants", mode="before")
    @classmethod
    def _as_text(cls, value):
        return {k: str(v) for k, v in (value or {}).items()}

    @model_validator(mode="after")
    def _every_required_field_has_a_source(self) -> "Mapping":
        _known(self.copy_.values())
        covered = set(self.columns) | set(self.constants) | set(self.copy_)
        missing = [name for name in REQUIRED_FIELDS if name not in covered]
        if missing:
            raise ValueError(f"no column, constant or copy for required field(s) {missing}")
        return self

    def check_header(self, header: list[str]) -> list[str]:
        """Raise IntakeError for missing required columns; return warnings for columns left unused."""
        present = set(header)
        duplicated = sorted({name for name in header if header.count(name) > 1})
        if duplicated:
            raise IntakeError(f"header repeats column(s) {duplicated}")
        missing = [
            f"{column!r} (for {field})"
            for field, column in self.columns.items()
            if column not in present and field in REQUIRED_FIELDS
        ]
        if missing:
            raise IntakeError(f"missing required column(s): {', '.join(missing)} (mapping {self.name!r})")
        used = set(self.columns.values()) | set(self.ignore) | {a.column for a in self.attributes.values()}
        extra = [name for name in header if name not in used]
        return [f"column {name!r} is not in mapping {self.name!r}: ignored" for name in extra]

    def apply(self, raw: pd.DataFrame) -> pd.DataFrame:
        """Source columns (strings) -> model-field columns (strings), plus row_number."""
        out = pd.DataFrame({"row_number": raw["row_number"]})
        for field, column in self.columns.items():
            if column in raw.columns:
                series = raw[column]
                if field in self.values:
                    series = series.map(lambda v, table=self.values[field]: table.get(v, v))
                out[field] = series
        for field, value in self.constants.items():
            out[field] = value
        for field, source in self.copy_.items():
            out[field] = out[source] if source in out.columns else None
        if self.attributes:
            out["attributes"] = self._attributes(raw)
        return out

    def _attributes(self, raw: pd.DataFrame) -> list:
        """Per row, the canonical JSON of its additional attributes (None when all are empty); a number that
        does not read as one is passed on as ``{"expected": "number", "got": text}`` for validation to refuse."""
        columns = {}
        for name, attribute in self.attributes.items():
            if attribute.column not in raw.columns:
                continue
            values = raw[attribute.column].astype(object).where(raw[attribute.column].notna(), None).tolist()
            values = [v.strip() if isinstance(v, str) else v for v in values]
            if attribute.type == "number":
                parsed = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").tolist()
                values = [None if v is None or v == "" else (p if p == p else {"expected": "number", "got": v})
                          for v, p in zip(values, parsed)]
            columns[name] = values
        names = list(columns)
        return [attributes_json(dict(zip(names, row))) for row in zip(*columns.values())] if names \
            else [None] * len(raw)


def load_mapping(name_or_path: str) -> Mapping:
    """A shipped mapping by name (own, kcs) or a YAML file."""
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        if not path.exists():
            raise IntakeError(f"mapping file {path} does not exist")
        text = path.read_text(encoding="utf-8")
    else:
        shipped = resources.files("smartcustoms.declarations") / "mappings" / f"{name_or_path}.yaml"
        if not shipped.is_file():
            raise IntakeError(f"no mapping named {name_or_path!r}; shipped: {', '.join(shipped_mappings())}")
        text = shipped.read_text(encoding="utf-8")
    try:
        return Mapping.model_validate(yaml_limits.safe_load(text))
    except yaml.YAMLError as exc:
        raise IntakeError(f"mapping {name_or_path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise IntakeError(f"mapping {name_or_path}: {problems}") from exc


def shipped_mappings() -> list[str]:
    folder = resources.files("smartcustoms.declarations") / "mappings"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))
