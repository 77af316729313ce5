"""The Korea Customs Service synthetic declarations (Jeong et al. 2022) as an external benchmark: the protocol.

The paper's splits: train on 2020 (`df_syn_train_eng.csv`), validate on 2021 Q1 (`df_syn_valid_eng.csv`), test on
2021 Q2 (`df_syn_test_eng.csv`); rank the evaluation rows by score, "inspect" the top n% and report Precision@n%
for n = 1, 2, 5, 10 and AUC. The scoring itself is the product's (`kcs_product`: import with the kcs mapping,
outcomes, the engine's assessment); this module keeps the files, the splits, the paper's published rows and the
metrics. (Until issue 15 it also held a model of its own; what made it good, its multi-key out-of-time
encodings, moved into the product's features.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

TRAIN_FILE = "df_syn_train_eng.csv"
VALID_FILE = "df_syn_valid_eng.csv"
TEST_FILE = "df_syn_test_eng.csv"

DATE = "Date"
LABEL = "Fraud"
FRACTIONS = (0.01, 0.02, 0.05, 0.10)

ID_COLUMNS = ["Declarant ID", "Importer ID", "Seller ID", "Courier ID"]
CODE_COLUMNS = [
    "Office ID", "Process Type", "Import Type", "Import Use", "Payment Type", "Mode of Transport",
    "Country of Departure", "Country of Origin", "Tax Type", "Country of Origin Indicator",
]
STRING_COLUMNS = ID_COLUMNS + CODE_COLUMNS + ["HS6 Code"]

# Paper, Table 3 (synthetic data, test split, 5 runs): P@5%, P@10% as (mean, std).
PUBLISHED = {
    "Logistic Regression": ((0.258, 0.016), (0.248, 0.013)),
    "AdaBoost": ((0.341, 0.012), (0.313, 0.007)),
    "Decision Tree": ((0.346, 0.014), (0.314, 0.011)),
    "Random Forest": ((0.364, 0.012), (0.339, 0.007)),
    "CatBoost": ((0.621, 0.011), (0.520, 0.006)),
    "XGBoost": ((0.675, 0.011), (0.579, 0.008)),
    "LightGBM": ((0.762, 0.003), (0.641, 0.003)),
}

def load_split(path: Path | str) -> pd.DataFrame:
    """One KCS CSV file, with identifiers and codes read as strings and the date parsed."""
    frame = pd.read_csv(path, dtype={name: "string" for name in STRING_COLUMNS})
    frame[DATE] = pd.to_datetime(frame[DATE])
    return frame


@dataclass
class Splits:
    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame | None

    @property
    def reported(self) -> str:
        return "test" if self.test is not None else "valid"


def load_splits(data_dir: Path | str) -> Splits:
    data_dir = Path(data_dir)
    for name in (TRAIN_FILE, VALID_FILE):
        if not (data_dir / name).is_file():
            raise FileNotFoundError(f"{data_dir / name} not found")
    test_path = data_dir / TEST_FILE
    return Splits(
        train=load_split(data_dir / TRAIN_FILE),
        valid=load_split(data_dir / VALID_FILE),
        test=load_split(test_path) if test_path.is_file() else None,
    )


def auc_score(scores, labels) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


