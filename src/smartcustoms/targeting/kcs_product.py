"""The KCS benchmark through the product's own path, as a customs service would run it.

1. a temporary database (SQLite), migrated;
2. ``import --mapping kcs`` of the history (train) and of the reported split (valid, or test when present);
3. ``outcomes import`` of the history's known labels (the reported split's labels are never stored);
4. the engine's assessment of the reported split (``assess``: screens, profiles, the targeting model,
   the combination of the screens and selectivity), fitted as of the first day of the split, recorded in the
   audit trail;
5. the recorded decisions, read back, ranked by their combined ``risk_score`` and by the model screen's own
   score (from each decision's explanation), and judged against the split's labels.

This module drives services (declarations intake, outcomes, the risk service): it is an entry-point helper of
``smartcustoms benchmark kcs``, not a pure module.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from smartcustoms.targeting.kcs import DATE, FRACTIONS, LABEL, TEST_FILE, TRAIN_FILE, VALID_FILE, auc_score
from smartcustoms.targeting.metrics import precision_at


@dataclass
class ProductPathResult:
    split: str
    rows: int  # declarations of the split that were imported and assessed
    source_rows: int  # rows of the split's file
    positives: int
    rankings: dict[str, dict] = field(default_factory=dict)  # name -> {"precision_at": {...}, "auc": ...}
    combination: dict = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    lanes: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        combined = self.rankings.get("combined", {})
        return {
            "split": self.split,
            "path": "product",
            "precision_at": combined.get("precision_at", {}),
            "auc": combined.get("auc"),
            "model_screen": self.rankings.get("model", {}),
            "screens": {k: v for k, v in self.rankings.items() if k not in ("combined", "model")},
            "rows": self.rows, "source_rows": self.source_rows, "positives": self.positives,
            "combination": self.combination, "lanes": self.lanes,
            "seconds": {k: round(v, 1) for k, v in self.seconds.items()},
        }


def _judge(scores: np.ndarray, labels: np.ndarray) -> dict:
    scores = np.nan_to_num(np.asarray(scores, dtype=float), nan=-1.0)
    return {"precision_at": {f"{f * 100:g}": round(precision_at(scores, labels, f), 4) for f in FRACTIONS},
            "auc": round(auc_score(scores, labels), 4)}


def outcomes_of(frame: pd.DataFrame) -> pd.DataFrame:
    """The KCS labels as control outcomes (every KCS declaration was inspected on its day; no random sample)."""
    found = frame[LABEL].astype(float) == 1
    return pd.DataFrame({
        "declaration_id": frame["Declaration ID"].astype(str),
        "inspection_date": pd.to_datetime(frame[DATE]).dt.normalize(),
        "control_type": "documentary",
        "selection_reason": "risk",
        "result": np.where(found, "discrepancy", "no_discrepancy"),
        "infringement": "",
        "duty_recovered": 0.0,
    })


def run_product_path(data_dir: Path | str, settings=None, workdir: Path | str | None = None,
                     on_step=None) -> ProductPathResult:
    """The benchmark through the product (see the module docstring). `settings`: a `RiskConfig` (default: the
    built-in settings). `on_step(description)` is called before each step."""
    from smartcustoms.declarations.repository import load_declarations
    from smartcustoms.declarations.service import import_file
    from smartcustoms.outcomes.service import store_outcomes
    from smartcustoms.risk.config import RiskConfig
    from smartcustoms.risk.repository import latest_decisions
    from smartcustoms.risk.service import assess_and_record, build_engine
    from smartcustoms.store import migrate
    from smartcustoms.store.db import make_engine

    data_dir = Path(data_dir)
    step = on_step or (lambda _text: None)
    test = data_dir / TEST_FILE
    history_files = [data_dir / TRAIN_FILE] + ([data_dir / VALID_FILE] if test.is_file() else [])
    reported_file = test if test.is_file() else data_dir / VALID_FILE
    split = "test" if test.is_file() else "valid"
    config = settings if settings is not None else RiskConfig()
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        db = make_engine(f"sqlite:///{Path(tmp) / 'kcs.db'}")
        migrate.upgrade(db)
        started = time.perf_counter()
        step("import --mapping kcs")
        history = pd.concat([pd.read_csv(p, dtype={"Declaration ID": str}) for p in history_files],
                            ignore_index=True)
        reported = pd.read_csv(reported_file, dtype={"Declaration ID": str})
        for path in [*history_files, reported_file]:
            import_file(db, path, "csv", mapping="kcs")
        seconds["import"] = time.perf_counter() - started
        started = time.perf_counter()
        step("outcomes import (history only)")
        store_outcomes(db, outcomes_of(history))
        seconds["outcomes"] = time.perf_counter() - started
        as_of = pd.Timestamp(pd.to_datetime(reported[DATE]).min()).normalize()
        started = time.perf_counter()
        step(f"fit the engine as of {as_of:%Y-%m-%d}")
        engine = build_engine(db, as_of.to_pydatetime(), config)
        seconds["fit"] = time.perf_counter() - started
        frame = load_declarations(db, start=as_of.to_pydatetime())
        started = time.perf_counter()
        step(f"assess {frame['declaration_id'].nunique():,} declarations")
        assess_and_record(db, frame, engine, "benchmark")
        seconds["assess"] = time.perf_counter() - started
        decisions = latest_decisions(db, ids=None)
        combination = getattr(engine, "combination", None)
        described = combination.describe() if combination is not None and hasattr(combination, "describe") else {}
        db.dispose()
    labels = reported.set_index("Declaration ID")[LABEL].astype(float)
    decisions = decisions.loc[decisions["declaration_id"].isin(labels.index)].reset_index(drop=True)
    y = labels.reindex(decisions["declaration_id"]).to_numpy()
    explained = [json.loads(text) for text in decisions["explanation"]]
    rankings = {"combined": _judge(decisions["risk_score"].to_numpy(dtype=float), y)}
    names = sorted({name for e in explained for name in e.get("scores", {})})
    for name in ["model", *[n for n in names if n != "model"]]:
        if name not in names:
            continue
        score = np.array([e["scores"].get(name, {}).get("score", np.nan) for e in explained], dtype=float)
        rankings[name] = _judge(score, y)
    return ProductPathResult(split=split, rows=len(decisions), source_rows=len(reported), positives=int(y.sum()),
                             rankings=rankings, combination=described, seconds=seconds,
                             lanes=decisions["lane"].value_counts().to_dict())
