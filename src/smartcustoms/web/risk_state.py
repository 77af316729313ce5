"""The risk engine the web assesses with: fitted once at startup on the stored history, refit on demand."""

import threading
from datetime import datetime

from sqlalchemy import Engine

from smartcustoms.risk.service import RiskConfig, RiskEngine, build_engine
from smartcustoms.store.db import utc_now


class RiskState:
    """Holds the current RiskEngine; a refit builds a new one and swaps it in (assessments under way keep the
    engine they started with)."""

    def __init__(self, db: Engine, config: RiskConfig, engine: RiskEngine | None = None,
                 as_of: datetime | None = None):
        self.db = db
        self.config = config
        self._lock = threading.Lock()
        self.engine = engine
        self.as_of = as_of
        self.fitted_at = utc_now() if engine is not None else None

    def refit(self, at: datetime | None = None) -> RiskEngine:
        """Fit the screens on the declarations and outcomes stored before `at` (default now) and take the
        profiles published now."""
        at = at or utc_now()
        with self._lock:
            engine = build_engine(self.db, as_of=at, config=self.config)
            self.engine, self.as_of, self.fitted_at = engine, at, utc_now()
        return engine

    def reload_profiles(self) -> RiskEngine:
        """Take the profiles published now and the suppressions in force now, keeping the fitted screens (no
        refit: milliseconds). Call it after a profile is published or retired, or a suppression added."""
        with self._lock:
            if self.engine is None:
                at = utc_now()
                engine = build_engine(self.db, as_of=at, config=self.config)
                self.engine, self.as_of, self.fitted_at = engine, at, utc_now()
                return engine
            engine = build_engine(self.db, as_of=self.as_of or utc_now(), config=self.config,
                                  screens=self.engine.screens, combination=self.engine.combination)
            self.engine = engine
        return engine

    def current(self) -> RiskEngine:
        if self.engine is None:
            self.refit()
        return self.engine

    def info(self) -> dict:
        engine = self.engine
        return {
            "fitted_at": self.fitted_at,
            "as_of": self.as_of,
            "screens": list(engine.screens) if engine else [],
            "profiles": {p.profile_id: p.version for p in engine.profiles} if engine else {},
            "model_version": engine.model_version if engine else None,
        }
