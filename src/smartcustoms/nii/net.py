"""The shipped detector: a small U-Net over the calibrated material maps, run with NumPy (no PyTorch at inference).

Input channels (all from the dual-energy decomposition): high-energy attenuation, Z_eff, areal density, and the
attenuation left after subtracting the cargo background (the median of each row and each column of the goods,
whichever is lower: packed goods repeat along the rows and columns, a slipped-in item does not). The network gives
a per-pixel probability of a concealed item; candidate boxes are its regions above 0.5 (weaker regions above lower
levels too); a LightGBM classifier rescores each candidate from the map and the materials inside it against a ring
around it (trained on scans the network never saw), and the image score is the best box's score.

Training is in ``nii/net_train.py`` (PyTorch, the optional extra ``[nii-train]``); the weights travel as numbers in
the model file, with batch normalisation folded into the convolutions.
"""

from __future__ import annotations

import base64
import hashlib

import numpy as np
from scipy import ndimage

from smartcustoms.nii.analysis import Decomposition
from smartcustoms.nii.detect import Box, Detection, background, suppress

N_INPUTS = 7
LEVELS = (0.5, 0.25, 0.1)  # the main contour, then weaker regions that hold nothing above it
MIN_AREA = 12


def inputs(dec: Decomposition) -> np.ndarray:
    """The network's input channels (N_INPUTS, rows, cols), float32, each scaled to about 0..1: attenuation,
    Z_eff, areal density, opacity, the attenuation over the cargo background, and Z_eff and areal density against
    the image's typical goods (its median over the solid pixels)."""
    hi = np.clip(dec.hi, 0.0, 7.0).astype(np.float32)
    z = np.clip(dec.z, 0.0, 30.0).astype(np.float32)
    areal = np.log1p(np.clip(dec.areal, 0.0, 200.0)).astype(np.float32)
    residual = hi - background(hi).astype(np.float32)
    solid = hi >= 0.03
    z_typical = float(np.median(z[solid])) if solid.any() else 0.0
    areal_typical = float(np.median(areal[solid])) if solid.any() else 0.0
    return np.stack([hi / 2.0, z / 15.0, areal / 2.0, dec.opaque.astype(np.float32), residual,
                     (z - z_typical) * solid / 10.0, (areal - areal_typical) * solid])


# ---- NumPy layers -------------------------------------------------------------------------------------------------


def conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """2-D convolution (cross-correlation, 'same' zero padding) of x (C, H, W) by weight (O, C, k, k)."""
    out_c, in_c, k, _ = weight.shape
    _, h, w = x.shape
    if k == 1:
        out = weight.reshape(out_c, in_c) @ x.reshape(in_c, h * w)
        return (out + bias[:, None]).reshape(out_c, h, w)
    p = k // 2
    padded = np.pad(x, ((0, 0), (p, p), (p, p)))
    cols = np.empty((in_c, k, k, h, w), np.float32)
    for i in range(k):
        for j in range(k):
            cols[:, i, j] = padded[:, i:i + h, j:j + w]
    out = weight.reshape(out_c, -1) @ cols.reshape(in_c * k * k, h * w)
    return (out + bias[:, None]).reshape(out_c, h, w)


def _block(x: np.ndarray, weights: dict, name: str) -> np.ndarray:
    for i in (0, 1):
        x = np.maximum(conv(x, weights[f"{name}.{i}.weight"], weights[f"{name}.{i}.bias"]), 0.0)
    return x


def _pool(x: np.ndarray) -> np.ndarray:
    c, h, w = x.shape
    return x.reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))


def _up(x: np.ndarray) -> np.ndarray:
    return x.repeat(2, axis=1).repeat(2, axis=2)


def forward(weights: dict, x: np.ndarray) -> np.ndarray:
    """Logits (H, W) of the U-Net (encoder e0..e3, decoder d2..d0, 1x1 head) for inputs x (C, H, W)."""
    _, h, w = x.shape
    ph, pw = -h % 8, -w % 8
    x = np.pad(x, ((0, 0), (0, ph), (0, pw)), mode="edge")
    e0 = _block(x, weights, "e0")
    e1 = _block(_pool(e0), weights, "e1")
    e2 = _block(_pool(e1), weights, "e2")
    e3 = _block(_pool(e2), weights, "e3")
    d2 = _block(np.concatenate([_up(e3), e2]), weights, "d2")
    d1 = _block(np.concatenate([_up(d2), e1]), weights, "d1")
    d0 = _block(np.concatenate([_up(d1), e0]), weights, "d0")
    logits = conv(d0, weights["head.weight"], weights["head.bias"])[0]
    return logits[:h, :w]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


# ---- boxes --------------------------------------------------------------------------------------------------------


def boxes_from_map(prob: np.ndarray, levels=LEVELS, min_area: int = MIN_AREA) -> list[Box]:
    """Regions of the probability map above 0.5 become boxes scored by their peak; regions above a lower level
    that hold no pixel of a higher one become boxes too (scored by their peak, below that level's ceiling)."""
    taken = np.zeros(prob.shape, bool)
    found = []
    for level in levels:
        labels, _ = ndimage.label(prob >= level)
        for index, where in enumerate(ndimage.find_objects(labels), start=1):
            if where is None:
                continue
            region = labels[where] == index
            if region.sum() < min_area or (taken[where] & region).any():
                continue
            found.append(Box(where[0].start, where[1].start, where[0].stop, where[1].stop,
                             float(prob[where][region].max())))
        taken |= prob >= level
    found.sort(key=lambda b: -b.score)
    return suppress(found)


def box_rows(prob: np.ndarray, x: np.ndarray, boxes: list[Box], pad: int = 6) -> np.ndarray:
    """What the box rescorer sees of each candidate: its peak and mean probability, its size and shape, and the
    input channels averaged inside it and against a ring around it (the item against its surroundings)."""
    rows = []
    h_img, w_img = prob.shape
    for b in boxes:
        inner = (slice(b.row0, b.row1), slice(b.col0, b.col1))
        outer = (slice(max(b.row0 - pad, 0), min(b.row1 + pad, h_img)),
                 slice(max(b.col0 - pad, 0), min(b.col1 + pad, w_img)))
        h, w = b.row1 - b.row0, b.col1 - b.col0
        p = prob[inner]
        inside = x[(slice(None), *inner)].reshape(len(x), -1).mean(axis=1)
        around = x[(slice(None), *outer)]
        ring_n = max(around.shape[1] * around.shape[2] - h * w, 1)
        ring = (around.reshape(len(x), -1).sum(axis=1) - inside * h * w) / ring_n
        rows.append(np.concatenate([[b.score, p.mean(), (p >= 0.5).mean(), h, w, h * w, h / max(w, 1),
                                     h * w / (h_img * w_img), float(prob.max())], inside, inside - ring]))
    width = 9 + 2 * len(x)
    return np.asarray(rows, np.float32).reshape(len(boxes), width)


# ---- the detector -------------------------------------------------------------------------------------------------


def _pack(array: np.ndarray) -> dict:
    array = np.ascontiguousarray(array, dtype="<f4")
    return {"shape": list(array.shape), "data": base64.b64encode(array.tobytes()).decode()}


def _unpack(item: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(item["data"]), dtype="<f4").reshape(item["shape"]).copy()


class NetDetector:
    """The U-Net's weights and how its map becomes boxes and an image score."""

    name = "unet-numpy"

    def __init__(self, weights: dict, box_threshold: float = 0.4, seed: int = 0, params: dict | None = None):
        self.weights = {k: np.asarray(v, np.float32) for k, v in weights.items()}
        self.box_threshold = box_threshold
        self.seed = seed
        self.params = params or {}

    def probability(self, dec: Decomposition) -> np.ndarray:
        return sigmoid(forward(self.weights, inputs(dec)))

    def candidates(self, dec: Decomposition) -> tuple[np.ndarray, list[Box], np.ndarray]:
        """The probability map, its candidate boxes and what the rescorer sees of them."""
        x = inputs(dec)
        prob = sigmoid(forward(self.weights, x))
        boxes = boxes_from_map(prob)
        return prob, boxes, box_rows(prob, x, boxes)

    def fit_rescorer(self, rows: np.ndarray, labels: np.ndarray) -> NetDetector:
        """Second stage: a classifier of candidate boxes (right: IoU >= 0.5 with a concealed item), trained on
        scans the network never saw."""
        import lightgbm

        self.rescorer_ = lightgbm.train(
            {"objective": "binary", "num_leaves": 15, "learning_rate": 0.05, "min_data_in_leaf": 20,
             "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
             "seed": self.seed, "deterministic": True, "num_threads": 1, "verbose": -1},
            lightgbm.Dataset(rows, label=labels.astype(np.float32)), num_boost_round=150)
        return self

    def detect(self, dec: Decomposition, threshold: float | None = None) -> Detection:
        """Boxes (rescored when the second stage is fitted), best first, those under ``threshold`` (default: the
        box threshold) left out; the image score is the best box's."""
        prob, boxes, rows = self.candidates(dec)
        rescorer = getattr(self, "rescorer_", None)
        if boxes and rescorer is not None:
            scores = rescorer.predict(rows, num_threads=1)
            boxes = suppress(sorted((Box(b.row0, b.col0, b.row1, b.col1, float(p)) for b, p in zip(boxes, scores)),
                                    key=lambda b: -b.score))
        threshold = self.box_threshold if threshold is None else threshold
        score = boxes[0].score if boxes else 0.0
        return Detection(score, [b for b in boxes if b.score >= threshold])

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for key in sorted(self.weights):
            digest.update(key.encode())
            digest.update(np.ascontiguousarray(self.weights[key], "<f4").tobytes())
        if getattr(self, "rescorer_", None) is not None:
            digest.update(self.rescorer_.model_to_string().encode())
        return digest.hexdigest()[:12]

    def to_dict(self) -> dict:
        out = {"kind": self.name, "box_threshold": self.box_threshold, "seed": self.seed, "params": self.params,
               "weights": {k: _pack(v) for k, v in sorted(self.weights.items())}}
        if getattr(self, "rescorer_", None) is not None:
            out["rescorer"] = self.rescorer_.model_to_string()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> NetDetector:
        out = cls({k: _unpack(v) for k, v in data["weights"].items()}, data["box_threshold"], data["seed"],
                  data.get("params"))
        if data.get("rescorer"):
            import lightgbm

            out.rescorer_ = lightgbm.Booster(model_str=data["rescorer"])
        return out
