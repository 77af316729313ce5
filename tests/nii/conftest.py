"""A tiny smoke model trained once per test session (CI never trains the shipped one), and copies of it whose
alarm threshold is pinned, so that flow tests do not depend on the smoke model's quality."""

import gzip
import json

import pytest

from smartcustoms.nii import pipeline


@pytest.fixture(scope="session")
def smoke_model(tmp_path_factory):
    analyzer = pipeline.train(seed=3, n_scenes=14, n_estimators=8)
    path = tmp_path_factory.mktemp("nii") / "smoke.json.gz"
    pipeline.save_analyzer(analyzer, path)
    return path


def _pinned(source, target, image_threshold: float, manifest_threshold: float):
    with gzip.open(source, "rt") as handle:
        payload = json.load(handle)
    payload["meta"]["image_threshold"] = image_threshold
    payload["meta"]["manifest_threshold"] = manifest_threshold
    with gzip.open(target, "wt") as out:
        json.dump(payload, out)
    return target


@pytest.fixture(scope="session")
def alarming_model(smoke_model, tmp_path_factory):
    """Alarms on every scan (threshold 0)."""
    return _pinned(smoke_model, tmp_path_factory.mktemp("nii") / "alarming.json.gz", 0.0, 0.0)


@pytest.fixture(scope="session")
def quiet_model(smoke_model, tmp_path_factory):
    """Never alarms (thresholds above any score)."""
    return _pinned(smoke_model, tmp_path_factory.mktemp("nii") / "quiet.json.gz", 2.0, 2.0)
