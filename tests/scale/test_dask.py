"""The Dask engine on a LocalCluster of 2 worker processes, on a small world: the local engine's decisions row for
row, training with lightgbm.dask within a stated tolerance of local training, and a worker killed mid-run."""

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartcustoms.risk.assess import RiskEngine, assess
from smartcustoms.risk.classification import ClassificationScreen
from smartcustoms.risk.config import load_config
from smartcustoms.risk.origin import OriginScreen
from smartcustoms.risk.profiles import load_profile_dir
from smartcustoms.risk.selectivity import LaneCapacity
from smartcustoms.risk.traders import TraderRisk
from smartcustoms.risk.valuation import ValuationScreen
from smartcustoms.scale import distributed, service
from smartcustoms.scale.batch import assess_in_buckets, differences
from smartcustoms.scale.partitions import partition_files, partition_of
from smartcustoms.scale.schemas import EngineOptions
from smartcustoms.world import WorldConfig, generate

ROOT = Path(__file__).resolve().parents[2]
CUT = pd.Timestamp("2025-03-01")
# Training on 2 workers against one process, over the seeds below: the mean AUC and the mean Precision@5% of the
# two may differ by at most these (LightGBM's data-parallel histograms bin each worker's rows: close, not equal).
AUC_TOLERANCE, PRECISION_TOLERANCE, SEEDS = 0.03, 0.08, (0, 1, 2)


@pytest.fixture(scope="module")
def world():
    return generate(WorldConfig(declarations=2500, seed=7, start="2025-01-01", days=90))


@pytest.fixture(scope="module")
def risk_engine(world):
    """The four screens (a lighter text model than the default: fewer iterations), the example profiles and
    config/risk.yaml's selectivity (capacities, every k-th unselected hit, random controls)."""
    history = world.declarations[world.declarations["acceptance_datetime"] < CUT]
    config = load_config(ROOT / "config" / "risk.yaml")
    screens = {"valuation": ValuationScreen(), "classification": ClassificationScreen(max_iter=40),
               "origin": OriginScreen(config=config.origin), "trader": TraderRisk(aeo_importers=("IMP000001",))}
    screens = {name: screen.fit(history, world.inspections, as_of=CUT) for name, screen in screens.items()}
    # tight capacities, so that the batch-order steps of selectivity (capacity per office and day, every
    # (k+1)-th unselected profile hit) decide many lanes
    settings = config.selectivity.model_copy(update={"capacity": {}, "max_hits_without_selection": 2,
                                                     "default_capacity": LaneCapacity(red=1, yellow=0)})
    return RiskEngine(screens=screens, profiles=load_profile_dir(ROOT / "profiles"), settings=settings)


@pytest.fixture(scope="module")
def batch(world):
    return world.declarations[world.declarations["acceptance_datetime"] >= CUT].reset_index(drop=True)


@pytest.fixture(scope="module")
def cluster():
    with distributed.dask_client(workers=2, threads=1, processes=True, memory_limit="1GB") as client:
        yield client


def test_buckets_in_one_process_equal_the_whole_batch(risk_engine, batch):
    local = assess(batch, risk_engine)
    assert set(local["lane"]) >= {"green", "red"}
    notes = local["capacity_note"]
    assert notes.str.contains("capacity").sum() > 10 and notes.str.contains("earlier hits").sum() > 0
    for buckets in (1, 5):
        assert differences(local, assess_in_buckets(batch, risk_engine, buckets)) == {}


def test_dask_gives_the_local_lanes_and_scores_row_for_row(cluster, risk_engine, batch, world, tmp_path):
    service.write_declarations(tmp_path, world.declarations, 1, 1)
    files = [f for f in partition_files(tmp_path) if partition_of(f)["month"] >= "2025-03"]
    local = assess(service.read_frame(files), risk_engine)
    options = EngineOptions(engine="dask")
    from_files = service.assess_batch(files, risk_engine, options, dask=cluster)
    assert differences(local, from_files) == {}
    assert (local["lane"] == from_files["lane"]).all()
    assert (local["declaration_id"] == from_files["declaration_id"]).all()
    from_memory = service.assess_batch(batch, risk_engine, options, dask=cluster)
    assert differences(assess(batch, risk_engine), from_memory) == {}


@pytest.fixture(scope="module")
def learned_engine(world, risk_engine):
    """The product's default settings: the four screens, the targeting model and the combined score learned from
    the outcomes (risk.combination), here with lower minimums of outcomes than the product's (a small world)."""
    from smartcustoms.risk.combination import LearnedCombination, fit_combination
    from smartcustoms.targeting.screen import ModelScreen

    history = world.declarations[world.declarations["acceptance_datetime"] < CUT]

    def fit_screens(before, known, as_of):
        screens = {"valuation": ValuationScreen(), "classification": ClassificationScreen(max_iter=40),
                   "origin": OriginScreen(), "trader": TraderRisk(aeo_importers=("IMP000001",)),
                   "model": ModelScreen(min_outcomes=20, min_found=3, predict_jobs=1, params={"n_estimators": 40})}
        return {name: screen.fit(before, known, as_of=as_of) for name, screen in screens.items()}

    def engine_of(screens):
        return RiskEngine(screens=screens, profiles=risk_engine.profiles, settings=risk_engine.settings)

    combination = fit_combination(history, world.inspections, CUT, fit_screens, engine_of,
                                  combination=LearnedCombination(min_labelled=40, min_positives=5))
    engine = engine_of(fit_screens(history, world.inspections, CUT))
    engine.combination = combination
    assert engine.screens["model"].model_ is not None
    assert risk_engine.settings.combination == "learned" and engine.learned() is not None, combination.note_
    return engine


def test_dask_gives_the_local_lanes_with_the_product_settings(cluster, learned_engine, batch):
    local = assess(batch, learned_engine)
    assert local["combination_method"].iloc[0] == learned_engine.combination.method_
    fixed = assess(batch, RiskEngine(screens=learned_engine.screens, profiles=learned_engine.profiles,
                                     settings=learned_engine.settings))
    assert not np.allclose(local["risk_score"], fixed["risk_score"])  # the learned score, not the fixed weights'
    on_dask = service.assess_batch(batch, learned_engine, EngineOptions(engine="dask"), dask=cluster)
    assert differences(local, on_dask) == {}
    # the targeting model's features count other importers' earlier rows of the batch: it is scored on the whole
    # batch (batch.BATCH_WIDE), the other screens per importer bucket
    assert differences(local, assess_in_buckets(batch, learned_engine, 3)) == {}


def test_a_corrupt_file_on_dask_names_the_file(cluster, risk_engine, world, tmp_path):
    service.write_declarations(tmp_path, world.declarations, 1, 1)
    files = partition_files(tmp_path)
    files[2].write_bytes(b"not parquet at all")
    from smartcustoms.refusals import Refusal

    with pytest.raises(Refusal) as refused:
        service.assess_batch(files, risk_engine, EngineOptions(engine="dask"), dask=cluster)
    assert refused.value.code == "scale.partition_unreadable" and str(files[2]) in str(refused.value)


def _precision_at(scores, labels, share=0.05):
    top = np.argsort(-np.asarray(scores), kind="stable")[: max(int(round(len(scores) * share)), 1)]
    return float(np.asarray(labels)[top].mean())


@pytest.fixture(scope="module")
def training_world():
    return generate(WorldConfig(declarations=10000, seed=7, start="2025-01-01", days=120))


def test_dask_training_is_within_tolerance_of_local_training(cluster, training_world):
    from sklearn.metrics import roc_auc_score

    from smartcustoms.scale.distributed import fit_distributed
    from smartcustoms.targeting.features import declaration_features
    from smartcustoms.targeting.model import TargetingModel

    world, cut = training_world, pd.Timestamp("2025-04-01")
    features = declaration_features(world.declarations, world.inspections, as_of=cut)
    dates = pd.to_datetime(features["declaration_date"])
    train = features[dates < cut]
    test = features[dates >= cut]
    fraud = world.truth.set_index("declaration_id")["fraud_type"].ne("none")  # judged on the ground truth
    labels = fraud.reindex(test.index).astype(int).to_numpy()
    measured = {"local": [], "dask": []}
    for seed in SEEDS:
        params = {"n_estimators": 60}
        local = TargetingModel(random_state=seed, n_jobs=1, params=params).fit(train)
        remote = fit_distributed(cluster, train, random_state=seed, n_jobs=1, params=params)
        assert type(remote) is TargetingModel
        for name, model in (("local", local), ("dask", remote)):
            scores = model.predict_proba(test)["p_fraud"].to_numpy()
            measured[name].append((roc_auc_score(labels, scores), _precision_at(scores, labels)))
    local_auc, local_p5 = np.mean(measured["local"], axis=0)
    dask_auc, dask_p5 = np.mean(measured["dask"], axis=0)
    assert local_auc > 0.6 and dask_auc > 0.6
    assert abs(local_auc - dask_auc) <= AUC_TOLERANCE, measured
    assert abs(local_p5 - dask_p5) <= PRECISION_TOLERANCE, measured


class _Slow:
    """A screen that waits before delegating: long enough tasks for a worker to be killed during them."""

    def __init__(self, inner, seconds):
        self.inner, self.seconds = inner, seconds

    def score(self, frame):
        time.sleep(self.seconds)
        return self.inner.score(frame)


def test_killing_a_worker_mid_run_still_completes(cluster, risk_engine, batch):
    slow = RiskEngine(screens={**risk_engine.screens, "trader": _Slow(risk_engine.screens["trader"], 0.4)},
                      profiles=risk_engine.profiles, settings=risk_engine.settings)
    expected = assess(batch, risk_engine)
    pids = cluster.run(os.getpid)
    result = {}

    def work():
        result["decided"] = service.assess_batch(batch, slow, EngineOptions(engine="dask", buckets=8), dask=cluster)

    runner = threading.Thread(target=work)
    runner.start()
    deadline = time.time() + 60
    while time.time() < deadline and not any(cluster.processing().values()):
        time.sleep(0.05)
    busy = [address for address, tasks in cluster.processing().items() if tasks]
    assert busy, "no task started"
    os.kill(pids[busy[0]], signal.SIGKILL)
    runner.join(timeout=300)
    assert not runner.is_alive()
    assert "decided" in result
    assert differences(expected, result["decided"]) == {}
