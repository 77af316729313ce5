"""One settings object for the whole platform (env vars SMARTCUSTOMS_*)."""

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTCUSTOMS_", env_ignore_empty=True)  # "": the default

    database_url: str = "sqlite:///var/smartcustoms.db"
    var_dir: Path = Path("var")
    national_currency: str = "EUR"
    import_batch_size: int = 5000
    offices_file: Path | None = None  # the customs offices in force (reference/offices.py); None: the shipped list
    # declarations' acceptance_datetime must lie in [acceptance_earliest, now + clock_tolerance_hours] (UTC)
    acceptance_earliest: date = date(1990, 1, 1)
    clock_tolerance_hours: float = Field(24, ge=0, le=24 * 366)
    risk_settings: Path | None = None  # the risk settings YAML of commands given no --settings; None: built-in


@lru_cache
def get_settings() -> Settings:
    return Settings()
