"""The experimental U-Net detector (nii/net.py): its NumPy layers against direct sums, its map-to-boxes step on a
map drawn by hand, the cargo background, its interface and model round trip, training reproducible from a seed and
the NumPy forward pass equal to PyTorch's (that one only where the optional extra [nii-train] is installed)."""

import numpy as np
import pytest
from scipy import signal

from smartcustoms.nii import net, pipeline
from smartcustoms.nii.detect import Detection


def test_the_numpy_convolution_is_a_cross_correlation_with_zero_padding():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 9, 11)).astype(np.float32)
    w = rng.normal(size=(2, 3, 3, 3)).astype(np.float32)
    b = np.array([0.5, -1.0], np.float32)
    out = net.conv(x, w, b)
    for o in range(2):
        expected = sum(signal.correlate2d(x[c], w[o, c], mode="same") for c in range(3)) + b[o]
        assert np.allclose(out[o], expected, atol=1e-4)


def test_regions_of_the_map_become_boxes_scored_by_their_peak():
    prob = np.zeros((40, 60))
    prob[5:15, 10:30] = 0.9  # a strong item
    prob[25:35, 40:50] = 0.3  # a weak one: a box under 0.5
    prob[30:32, 5:7] = 0.95  # too small to be a box
    boxes = net.boxes_from_map(prob)
    assert [(b.row0, b.col0, b.row1, b.col1) for b in boxes] == [(5, 10, 15, 30), (25, 40, 35, 50)]
    assert boxes[0].score == pytest.approx(0.9) and boxes[1].score == pytest.approx(0.3)


def test_the_background_is_the_goods_row_or_column_median():
    hi = np.full((20, 30), 1.0)
    hi[:, :5] = 0.0  # air beside the goods is left out of the medians
    hi[8:12, 10:14] += 2.0  # an item among the goods stands out of the background
    residual = hi - net.background(hi)
    assert residual[9, 11] == pytest.approx(2.0) and abs(residual[2, 20]) < 1e-9


def random_weights(seed: int = 0, widths=(4, 6, 8, 10)) -> dict:
    """Weights of the U-Net's layout (encoder e0..e3, decoder d2..d0, head) drawn at random."""
    rng = np.random.default_rng(seed)
    w0, w1, w2, w3 = widths
    blocks = {"e0": (net.N_INPUTS, w0), "e1": (w0, w1), "e2": (w1, w2), "e3": (w2, w3), "d2": (w3 + w2, w2),
              "d1": (w2 + w1, w1), "d0": (w1 + w0, w0)}
    out = {}
    for name, (cin, cout) in blocks.items():
        for i, c in enumerate((cin, cout)):
            out[f"{name}.{i}.weight"] = rng.normal(0, (2 / (9 * c)) ** 0.5, (cout, c, 3, 3)).astype(np.float32)
            out[f"{name}.{i}.bias"] = np.zeros(cout, np.float32)
    out["head.weight"] = rng.normal(0, 0.3, (1, w0, 1, 1)).astype(np.float32)
    out["head.bias"] = np.array([-1.0], np.float32)
    return out


def test_the_network_detector_gives_an_image_score_and_boxes_and_round_trips():
    detector = net.NetDetector(random_weights(), seed=1)
    again = net.NetDetector.from_dict(detector.to_dict())
    assert again.fingerprint() == detector.fingerprint()
    for item in pipeline.make_set(21, 2, "heldout", threat_rate=1.0):
        found = detector.detect(item.dec, threshold=0.0)
        assert isinstance(found, Detection) and 0.0 <= found.score <= 1.0
        rows, cols = item.dec.hi.shape
        assert [b.score for b in found.boxes] == sorted((b.score for b in found.boxes), reverse=True)
        assert all(0 <= b.row0 < b.row1 <= rows and 0 <= b.col0 < b.col1 <= cols for b in found.boxes)
        if found.boxes:
            assert found.score == found.boxes[0].score
        assert np.array_equal(again.probability(item.dec), detector.probability(item.dec))


def test_training_is_reproducible_and_the_numpy_forward_pass_equals_pytorch():
    torch = pytest.importorskip("torch")
    from smartcustoms.nii import net_train

    items = pipeline.make_set(4, 3, "train", threat_rate=1.0)
    images = [net.inputs(item.dec) for item in items]
    masks = [pipeline.scenes.threat_mask(item.scene).astype(np.float32) for item in items]
    boxes = [[t.box for t in item.scene.threats] for item in items]
    first = net_train.train(images, masks, boxes, seed=5, steps=3, batch=2, size=32)
    again = net_train.train(images, masks, boxes, seed=5, steps=3, batch=2, size=32)
    assert first.keys() == again.keys() and all(np.array_equal(first[k], again[k]) for k in first)
    torch.manual_seed(1)
    model = net_train.build()
    model.train()
    with torch.no_grad():  # batch statistics that are not the identity, to check their folding
        model(torch.randn(4, net.N_INPUTS, 32, 32) * 2 + 0.5)
    model.eval()
    x = images[0][:, :50, :70]
    with torch.no_grad():
        padded = np.pad(x, ((0, 0), (0, 6), (0, 2)), mode="edge")
        expected = model(torch.from_numpy(np.ascontiguousarray(padded[None])))[0].numpy()[:50, :70]
    assert np.allclose(net.forward(net_train.export(model), x), expected, atol=1e-4)
