"""Risk engine settings: selectivity, origin rules, authorised operators; one YAML file, defaults built in."""

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smartcustoms import yaml_limits
from smartcustoms.risk.origin import OriginConfig
from smartcustoms.risk.selectivity import SelectivitySettings


class RiskConfigError(ValueError):
    pass


class ClassificationSettings(BaseModel):
    """Parameters of the classification screen (risk.classification.ClassificationScreen); unset: its defaults.
    Fewer iterations and n-grams fit faster and tell codes apart less finely (the tests' small histories)."""
    model_config = ConfigDict(extra="forbid")

    max_iter: int | None = Field(None, ge=1, description="iterations of the logistic regression")
    max_features: int | None = Field(None, ge=1, description="character n-grams kept in the vocabulary")
    ngram_range: tuple[int, int] | None = Field(None, description="shortest and longest character n-gram")

    def parameters(self) -> dict:
        return self.model_dump(exclude_none=True)


class RiskConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    selectivity: SelectivitySettings = Field(default_factory=SelectivitySettings)
    origin: OriginConfig = Field(default_factory=OriginConfig)
    aeo_importers: list[str] = Field(default_factory=list, description="authorised economic operators")
    classification: ClassificationSettings = Field(default_factory=ClassificationSettings)
    model: bool = Field(True, description="the targeting model as screen 'model', trained on the outcomes "
                        "known before the assessed declarations (with too few of them it stays without a model, "
                        "and the assessment says so in each decision's checks not made)")


def load_config(path: Path | None) -> RiskConfig:
    """The settings in a YAML file (or the defaults); errors name the setting and the reason."""
    if path is None:
        return RiskConfig()
    try:
        data = yaml_limits.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RiskConfigError(f"{path}: {exc}") from exc
    try:
        return RiskConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise RiskConfigError(f"{path}: {problems}") from exc
