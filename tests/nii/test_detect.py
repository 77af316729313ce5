"""The detector's interface (boxes and an image score from a decomposed scan), the model file, reproducible
training, the superpixel baseline, and the benchmark's metrics on cases worked by hand."""

import numpy as np
import pytest

from smartcustoms.nii import pipeline
from smartcustoms.nii.detect import Detection, SuperpixelDetector, WindowDetector


@pytest.fixture(scope="module")
def scans():
    return pipeline.make_set(11, 4, "heldout", threat_rate=1.0)


def test_the_detector_gives_an_image_score_and_boxes_inside_the_image(smoke_model, scans):
    analyzer = pipeline.Analyzer.load(smoke_model)
    assert isinstance(analyzer.detector, WindowDetector)
    for item in scans:
        found = analyzer.detector.detect(item.dec, threshold=0.0)
        assert isinstance(found, Detection) and 0.0 <= found.score <= 1.0
        rows, cols = item.dec.hi.shape
        scores = [b.score for b in found.boxes]
        assert scores == sorted(scores, reverse=True)
        for b in found.boxes:
            assert 0 <= b.row0 < b.row1 <= rows and 0 <= b.col0 < b.col1 <= cols
        if found.boxes:
            assert found.score == found.boxes[0].score
        result, _ = analyzer.analyse(pipeline.physics.detect(item.scene.areal, item.scene.settings, None)[0],
                                     pipeline.physics.detect(item.scene.areal, item.scene.settings, None)[1],
                                     item.scene.settings, item.scene.pixel_cm, item.scene.kind)
        assert result.alarm == (result.image_score >= analyzer.meta["image_threshold"])
        assert all(box[4] >= analyzer.meta["image_threshold"] for box in result.boxes)


def test_the_model_file_round_trips_and_training_is_reproducible_from_its_seed(smoke_model, scans, tmp_path):
    first = pipeline.Analyzer.load(smoke_model)
    again = pipeline.train(seed=3, n_scenes=14, n_estimators=8)  # the conftest's smoke model, trained again
    assert again.meta["fingerprint"] == first.meta["fingerprint"]
    pipeline.save_analyzer(again, tmp_path / "again.json.gz")
    reloaded = pipeline.Analyzer.load(tmp_path / "again.json.gz")
    for item in scans:
        assert np.allclose(first.detector.probability(item.dec), reloaded.detector.probability(item.dec))


def test_the_superpixel_baseline_has_the_same_interface(scans):
    baseline = SuperpixelDetector(n_segments=80)
    rows, labels = [], []
    for item in scans:
        features, segments = baseline.region_features(item.dec)
        mask = pipeline.scenes.threat_mask(item.scene)
        share = np.bincount(segments.ravel(), weights=mask.ravel(), minlength=len(features)) / np.maximum(
            np.bincount(segments.ravel(), minlength=len(features)), 1)
        rows.append(features)
        labels.append(share >= 0.5)
    baseline.fit(np.concatenate(rows), np.concatenate(labels))
    found = baseline.detect(scans[0].dec)
    assert 0.0 <= found.score <= 1.0 and all(b.row1 <= scans[0].dec.hi.shape[0] for b in found.boxes)


def test_average_precision_and_detection_at_false_alarms_on_cases_worked_by_hand():
    truth = [[((0, 0, 10, 10), "easy")], [((0, 0, 10, 10), "hidden")], []]
    perfect = [[((0, 0, 10, 10), 0.9)], [((0, 0, 10, 10), 0.8)], []]
    assert pipeline.average_precision(perfect, truth) == pytest.approx(1.0)
    # a false box ranked first: precision 1/2 at the first hit, 2/3 at the second; VOC interpolation takes the
    # best precision at this recall or more: 2/3 for both halves of the recall
    one_false = [[((0, 0, 10, 10), 0.9)], [((0, 0, 10, 10), 0.8)], [((50, 50, 60, 60), 0.95)]]
    assert pipeline.average_precision(one_false, truth) == pytest.approx(2 / 3)
    # ranked last instead: every hit before the false box
    last_false = [[((0, 0, 10, 10), 0.9)], [((0, 0, 10, 10), 0.8)], [((50, 50, 60, 60), 0.1)]]
    assert pipeline.average_precision(last_false, truth) == pytest.approx(1.0)
    # "hidden" alone: the easy item's box is neither right nor wrong
    assert pipeline.average_precision(perfect, truth, only="hidden") == pytest.approx(1.0)
    # a box overlapping by IoU < 0.5 misses
    assert pipeline.average_precision([[((5, 5, 15, 15), 0.9)], [], []], truth) == 0.0
    scores = np.array([0.9, 0.8, 0.2] + [0.1] * 99 + [0.85])
    positive = np.array([True, True, True] + [False] * 100)
    # no false alarm allowed: the threshold is the highest negative (0.85): only 0.9 passes
    assert pipeline.detection_at_fa(scores, positive, 0.0) == pytest.approx(1 / 3)
    # 1 % of 100 negatives: the 0.85 may alarm, the threshold drops to the next negative (0.1): all three pass
    assert pipeline.detection_at_fa(scores, positive, 0.01) == pytest.approx(1.0)
