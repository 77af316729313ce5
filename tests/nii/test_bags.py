"""Bag pre-screening for the passengers' domain (service.score_bags): a bag's own scan file is analysed, a bag
without one gets no score (or a synthetic scan drawn from its tag), a malformed file is refused; the scores are
rescaled so that the model's alarm threshold falls on the passengers' selection threshold."""

import numpy as np
import pytest

from smartcustoms.nii import pipeline, scanfile, scenes, service


def bag_scan(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    scene = scenes.generate(rng, threat_rate=1.0, kind="bag")
    low, high = pipeline.render(scene, rng)
    return scanfile.from_scene(scene, low, high)


def test_bags_with_and_without_scans_get_scores_and_the_same_tag_the_same_score(smoke_model):
    bags = [{"tag": "0220123456", "weight_kg": 18.0, "scan": bag_scan(3)}, {"tag": "0220123457", "weight_kg": 9.5}]
    scores = service.score_bags(bags, simulate=True, model_path=smoke_model)
    assert set(scores) == {"0220123456", "0220123457"} and all(0.0 <= v <= 1.0 for v in scores.values())
    assert service.score_bags(bags[1:], simulate=True, model_path=smoke_model) == {"0220123457": scores["0220123457"]}
    assert service.score_bags(bags, model_path=smoke_model) == {"0220123456": scores["0220123456"]}


def test_the_alarm_threshold_falls_on_the_selection_threshold(alarming_model, quiet_model):
    bags = [{"tag": "AB123", "weight_kg": 12.0}]
    assert service.score_bags(bags, simulate=True, model_path=alarming_model)["AB123"] >= 0.8  # threshold 0
    assert service.score_bags(bags, simulate=True, model_path=quiet_model)["AB123"] < 0.8  # above any score
    assert service._rescale(0.3, 0.6, 0.8) == pytest.approx(0.4)
    assert service._rescale(0.8, 0.6, 0.8) == pytest.approx(0.9)


def test_a_malformed_bag_scan_is_refused(smoke_model):
    with pytest.raises(scanfile.ScanFileError) as refused:
        service.score_bags([{"tag": "X1", "weight_kg": 1.0, "scan": b"not a scan"}], model_path=smoke_model)
    assert refused.value.code == "nii_scan_not_npz"
