"""The KCS benchmark protocol on tiny KCS-shaped files, Precision@n%, and the `benchmark kcs` command."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from smartcustoms.cli.benchmark import _product_table, app
from smartcustoms.targeting import kcs
from smartcustoms.targeting.kcs_product import outcomes_of
from smartcustoms.targeting.metrics import precision_at
from smartcustoms.targeting.service import kcs_product_path as run_product_path

COLUMNS = ["Declaration ID", "Date", "Office ID", "Process Type", "Import Type", "Import Use", "Payment Type",
           "Mode of Transport", "Declarant ID", "Importer ID", "Seller ID", "Courier ID", "HS6 Code",
           "Country of Departure", "Country of Origin", "Tax Rate", "Tax Type", "Country of Origin Indicator",
           "Net Mass", "Item Price", "Fraud", "Critical Fraud"]


def synthetic(start: str, end: str, n: int, seed: int) -> pd.DataFrame:
    """KCS-shaped rows where fraud follows (HS6, origin): some pairs are mostly fraudulent."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end)
    hs = rng.choice(["010121", "030211", "847130", "620342", "940360"], n)
    origin = rng.choice(["CN", "US", "VN", "DE"], n)
    risky = ((hs == "847130") & (origin == "CN")) | ((hs == "620342") & (origin == "VN"))
    fraud = (rng.random(n) < np.where(risky, 0.85, 0.08)).astype(int)
    mass = rng.uniform(1, 500, n).round(1)
    return pd.DataFrame({
        "Declaration ID": rng.choice(10**8, n, replace=False), "Date": np.sort(rng.choice(days, n)).astype(str),
        "Office ID": rng.choice([10, 20, 30], n), "Process Type": rng.choice(["A", "B"], n),
        "Import Type": 11, "Import Use": 21, "Payment Type": 11, "Mode of Transport": rng.choice([10, 40], n),
        "Declarant ID": rng.choice(["D1", "D2", "D3"], n), "Importer ID": [f"I{i}" for i in rng.integers(0, 40, n)],
        "Seller ID": np.where(rng.random(n) < 0.2, None, [f"S{i}" for i in rng.integers(0, 30, n)]),
        "Courier ID": None, "HS6 Code": hs, "Country of Departure": origin, "Country of Origin": origin,
        "Tax Rate": 8.0, "Tax Type": "A", "Country of Origin Indicator": "Y", "Net Mass": mass,
        "Item Price": (mass * 1000 * rng.lognormal(0, 0.1, n)).round(1), "Fraud": fraud,
        "Critical Fraud": np.where(fraud == 1, rng.choice([1, 2], n, p=[0.95, 0.05]), 0),
    })[COLUMNS]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("kcs")
    synthetic("2020-01-01", "2020-12-31", 900, 1).to_csv(path / kcs.TRAIN_FILE, index=False)
    synthetic("2021-01-01", "2021-03-31", 300, 2).to_csv(path / kcs.VALID_FILE, index=False)
    return path


def test_precision_at_on_hand_made_scores():
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    labels = [1, 0, 1, 1, 0, 0, 0, 0, 0, 1]
    assert precision_at(scores, labels, 0.10) == 1.0  # top 1 row
    assert precision_at(scores, labels, 0.20) == 0.5  # top 2
    assert precision_at(scores, labels, 0.40) == 0.75  # top 4
    assert precision_at(scores, labels, 1.0) == 0.4
    assert precision_at(scores, labels, 0.01) == 1.0  # at least one row is inspected
    assert precision_at([0.5, 0.5, 0.5], [0, 1, 1], 0.34) == 0.0  # ties: first row first
    with pytest.raises(ValueError):
        precision_at(scores, labels, 0)


def test_loading_keeps_codes_as_strings(folder):
    train = kcs.load_split(folder / kcs.TRAIN_FILE)
    assert train["HS6 Code"].iloc[0].isdigit() and len(train["HS6 Code"].iloc[0]) == 6
    assert train["Date"].dtype.kind == "M"


@pytest.fixture(scope="module")
def product(folder):
    return run_product_path(folder)


def test_the_product_path_reports_valid_and_learns_the_signal(product, folder):
    result = product.to_json()
    valid = pd.read_csv(folder / kcs.VALID_FILE)
    assert result["split"] == "valid" and result["path"] == "product"
    assert result["source_rows"] == len(valid) and 0 < result["rows"] <= len(valid)
    assert set(result["precision_at"]) == set(result["model_screen"]["precision_at"]) == {"1", "2", "5", "10"}
    base = result["positives"] / result["rows"]
    assert result["precision_at"]["10"] > base + 0.3 and result["auc"] > 0.75
    assert result["model_screen"]["precision_at"]["10"] > base + 0.3
    assert {"valuation", "classification", "origin", "trader"} <= set(result["screens"])
    assert result["combination"]["method"] in ("learned", "best_part")


def test_the_labels_of_the_reported_split_are_never_stored(folder):
    train = pd.read_csv(folder / kcs.TRAIN_FILE, dtype={"Declaration ID": str})
    outcomes = outcomes_of(train)
    assert len(outcomes) == len(train) and set(outcomes["result"]) <= {"discrepancy", "no_discrepancy"}
    # flipping the valid labels changes nothing the engine decides: only the judging reads them
    flipped = folder.parent / "flipped"
    flipped.mkdir(exist_ok=True)
    (flipped / kcs.TRAIN_FILE).write_bytes((folder / kcs.TRAIN_FILE).read_bytes())
    valid = pd.read_csv(folder / kcs.VALID_FILE, dtype=str, keep_default_na=False)
    valid.assign(Fraud=(1 - valid["Fraud"].astype(int)).astype(str), **{"Critical Fraud": "0"}).to_csv(
        flipped / kcs.VALID_FILE, index=False)
    again = run_product_path(flipped).to_json()
    original = run_product_path(folder).to_json()
    assert again["lanes"] == original["lanes"] and again["combination"] == original["combination"]


def test_command_prints_one_json_object_and_fails_cleanly_without_data(folder, tmp_path):
    result = CliRunner().invoke(app, ["kcs", "--data", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"split", "path", "precision_at", "auc", "model_screen", "screens"} <= set(payload)
    assert all(0 <= v <= 1 for v in [*payload["precision_at"].values(), payload["auc"]])
    missing = CliRunner().invoke(app, ["kcs", "--data", str(tmp_path)])
    assert missing.exit_code == 2


def test_the_table_shows_combined_model_and_paper_rows(product):
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(_product_table(product))
    text = console.export_text()
    assert "combined score" in text and "model screen alone" in text and "LightGBM (paper)" in text
