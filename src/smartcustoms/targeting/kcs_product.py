"""The KCS benchmark through the product's own path, as a customs service would run it.

1. a temporary database (SQLite), migrated;
2. ``import --mapping kcs`` of the history (train) and of the reported split (valid, or test when present);
3. ``outcomes import`` of the history's known labels (the reported split's labels are never stored);
4. the engine's assessment of the reported split (``assess``: screens, profiles, the targeting model,
   the combination of the screens and selectivity), fitted as of the first day of the split, recorded in the
   audit trail;
5. the recorded decisions, read back, ranked by their combined ``risk_score`` and by the model screen's own
   score (from each decision's explanation), and judged against the split's labels.

Steps 1 to 4 are targeting.service.kcs_product_path (the use case behind ``smartcustoms benchmark kcs``); this
module is pure: the split's files, the labels as outcomes, and step 5, the judging of the recorded decisions.
"""

from __future__ import annotations

import json
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


def files_of(data_dir: Path | str) -> tuple[list[Path], Path, str]:
    """The history's files, the reported split's file and its name: with df_syn_test_eng.csv in the folder,
    train and valid are the history and test is reported; without it, train is the history and valid reported."""
    data_dir = Path(data_dir)
    test = data_dir / TEST_FILE
    history_files = [data_dir / TRAIN_FILE] + ([data_dir / VALID_FILE] if test.is_file() else [])
    reported_file = test if test.is_file() else data_dir / VALID_FILE
    return history_files, reported_file, "test" if test.is_file() else "valid"


def as_of(reported: pd.DataFrame) -> pd.Timestamp:
    """The day the engine is fitted as of: the first day of the reported split."""
    return pd.Timestamp(pd.to_datetime(reported[DATE]).min()).normalize()


def judge_decisions(decisions: pd.DataFrame, reported: pd.DataFrame, split: str, combination: dict,
                    seconds: dict[str, float]) -> ProductPathResult:
    """The recorded `decisions` (latest per declaration, with their explanations) of the `reported` split's
    declarations, ranked by their combined ``risk_score`` and by each screen's own score, against its labels."""
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
                             rankings=rankings, combination=combination, seconds=seconds,
                             lanes=decisions["lane"].value_counts().to_dict())
