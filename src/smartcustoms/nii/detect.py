"""Detection of concealed items on CPU: classical models over material and texture features.

``WindowDetector`` (shipped): dense multi-scale windows on a 4-pixel grid; per window the means, spreads and
centre-surround differences of the calibrated maps (high-energy attenuation, Z_eff, areal density per material
group, opacity) feed a LightGBM classifier; the probability grid becomes boxes by connected components, and the
image score is its smoothed maximum. ``SuperpixelDetector`` (baseline): SLIC superpixels, the same features averaged
per superpixel, scikit-learn's histogram gradient boosting.
"""

from __future__ import annotations

import base64
import gzip
import json
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from smartcustoms.nii.analysis import Decomposition

STRIDE = 4
SCALES = (5, 11, 23)


@dataclass(frozen=True)
class Box:
    row0: int
    col0: int
    row1: int
    col1: int
    score: float

    def as_list(self) -> list:
        return [self.row0, self.col0, self.row1, self.col1, round(self.score, 4)]


@dataclass
class Detection:
    score: float  # image level: how likely the scan holds a concealment
    boxes: list  # of Box, best first


def background(hi: np.ndarray) -> np.ndarray:
    """The cargo's background attenuation: the lower of the row and the column medians (of the solid pixels)."""
    solid = np.where(hi >= 0.03, hi, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rows = np.nanmedian(solid, axis=1, keepdims=True)
        cols = np.nanmedian(solid, axis=0, keepdims=True)
    rows = np.nan_to_num(rows)
    cols = np.nan_to_num(cols)
    return np.minimum(np.broadcast_to(rows, hi.shape), np.broadcast_to(cols, hi.shape))


def _base_maps(dec: Decomposition) -> dict[str, np.ndarray]:
    """The calibrated maps the features are computed on, with the attenuation left over the cargo background
    (``resid``: what an item adds to the goods around it, the signal of items hidden under cargo)."""
    areal = np.clip(dec.areal, 0, 80).astype(np.float32)
    z = np.clip(dec.z, 0, 30).astype(np.float32)
    hi = dec.hi.astype(np.float32)
    return {
        "hi": hi, "z": z, "areal": areal,
        "organic": areal * (dec.group == 0), "inorganic": areal * (dec.group == 1),
        "metal": areal * (dec.group == 2), "opaque": dec.opaque.astype(np.float32),
        "resid": hi - background(hi).astype(np.float32),
    }


def feature_maps(dec: Decomposition) -> tuple[np.ndarray, list[str]]:
    """Per-pixel features (features, rows, cols) and their names."""
    maps, names = [], []
    for name, base in _base_maps(dec).items():
        means = [ndimage.uniform_filter(base, s, mode="nearest") for s in SCALES]
        squares = [ndimage.uniform_filter(base * base, s, mode="nearest") for s in SCALES[:2]]
        maps += means
        names += [f"{name}_mean{s}" for s in SCALES]
        maps += [means[0] - means[1], means[1] - means[2]]
        names += [f"{name}_cs{SCALES[0]}", f"{name}_cs{SCALES[1]}"]
        for s, m, sq in zip(SCALES[:2], means, squares):
            maps.append(np.sqrt(np.clip(sq - m * m, 0, None)))
            names.append(f"{name}_std{s}")
    hi = dec.hi.astype(np.float32)
    for sigma in (1.5, 3.0):
        maps.append(ndimage.gaussian_laplace(hi, sigma))
        names.append(f"hi_log{sigma}")
    gradient = ndimage.gaussian_gradient_magnitude(hi, 1.0)
    maps.append(ndimage.uniform_filter(gradient, 7))
    names.append("hi_grad7")
    base = _base_maps(dec)
    for name in ("organic", "metal", "inorganic"):
        maps.append(ndimage.maximum_filter(base[name], 9) - ndimage.uniform_filter(base[name], 31))
        names.append(f"{name}_peak")
    # orientation: packed goods stand square to the walls, what is slipped in among them seldom does
    smooth = ndimage.gaussian_filter(base["areal"], 1.0)
    gy, gx = ndimage.sobel(smooth, 0), ndimage.sobel(smooth, 1)
    for size in (7, 15):
        jxx = ndimage.uniform_filter(gx * gx, size)
        jyy = ndimage.uniform_filter(gy * gy, size)
        jxy = ndimage.uniform_filter(np.abs(gx * gy), size)
        maps += [jxy / (jxx + jyy + 1e-3), np.log1p(jxx + jyy)]
        names += [f"offaxis{size}", f"edges{size}"]
    # context of the whole scan: how this window differs from the typical goods of this image
    solid = dec.hi >= 0.03
    for name in ("hi", "z", "areal", "organic", "inorganic", "metal"):
        values = base[name][solid]
        typical = np.percentile(values, (25, 50, 75, 95)) if values.size else np.zeros(4)
        local = ndimage.uniform_filter(base[name], 11, mode="nearest")
        small = ndimage.uniform_filter(base[name], 5, mode="nearest")
        maps += [local - typical[1], (local - typical[1]) / (typical[2] - typical[0] + 0.05),
                 np.full_like(local, typical[1]), small - typical[3]]
        names += [f"{name}_vs_image", f"{name}_vs_image_iqr", f"{name}_image_median", f"{name}_over_p95"]
    return np.stack(maps).astype(np.float32), names


def grid_points(shape) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(STRIDE // 2, shape[0], STRIDE)
    cols = np.arange(STRIDE // 2, shape[1], STRIDE)
    return rows, cols


def window_features(dec: Decomposition, maps: np.ndarray | None = None) -> tuple[np.ndarray, tuple]:
    """Rows of features, one per window of the grid, and the grid's shape."""
    if maps is None:
        maps, _ = feature_maps(dec)
    rows, cols = grid_points(dec.hi.shape)
    sampled = maps[:, rows][:, :, cols]
    return sampled.reshape(len(maps), -1).T, (len(rows), len(cols))


def box_features(prob: np.ndarray, maps: np.ndarray, box: Box, shape) -> np.ndarray:
    """What the second stage sees of a candidate box: its peak and mean probability, size and shape, and the
    feature maps averaged inside it and in a ring around it (the item against its surroundings)."""
    r0, c0, r1, c1 = box.row0, box.col0, box.row1, box.col1
    g = prob[r0 // STRIDE:max(r1 // STRIDE, r0 // STRIDE + 1), c0 // STRIDE:max(c1 // STRIDE, c0 // STRIDE + 1)]
    h, w = r1 - r0, c1 - c0
    pad = 8
    R0, C0, R1, C1 = max(r0 - pad, 0), max(c0 - pad, 0), min(r1 + pad, shape[0]), min(c1 + pad, shape[1])
    inside = maps[:, r0:r1, c0:c1].reshape(len(maps), -1).mean(axis=1)
    outer = maps[:, R0:R1, C0:C1]
    outer_sum = outer.reshape(len(maps), -1).sum(axis=1)
    ring_n = max(outer.shape[1] * outer.shape[2] - h * w, 1)
    ring = (outer_sum - inside * h * w) / ring_n
    return np.concatenate([[box.score, g.mean(), (g >= 0.5).mean(), h, w, h * w, h / max(w, 1),
                            h * w / (shape[0] * shape[1])], inside, inside - ring]).astype(np.float32)


LEVELS = (0.2, 0.35, 0.5, 0.7, 0.85)


def boxes_from_probability(prob: np.ndarray, shape, threshold: float, min_area: int = 30) -> list[Box]:
    """Connected regions of the (upsampled) probability map above several levels (a region that merges two items
    at a low level splits at a higher one), scored by their peak, duplicates removed; those scoring under
    ``threshold`` are left out."""
    full = ndimage.zoom(prob, (shape[0] / prob.shape[0], shape[1] / prob.shape[1]), order=1)[: shape[0], : shape[1]]
    found = []
    for level in LEVELS:
        labels, n = ndimage.label(full >= level)
        for index, where in enumerate(ndimage.find_objects(labels), start=1):
            if where is None:
                continue
            region = labels[where] == index
            if region.sum() < min_area:
                continue
            score = float(full[where][region].max())
            if score >= threshold:
                found.append(Box(where[0].start, where[1].start, where[0].stop, where[1].stop, score))
    found.sort(key=lambda b: (-b.score, (b.row1 - b.row0) * (b.col1 - b.col0)))
    kept: list[Box] = []
    for box in found:
        if all(_overlap(box, other) < 0.7 for other in kept):
            kept.append(box)
    return kept


def suppress(boxes: list[Box], overlap: float = 0.3, inside: float = 0.6) -> list[Box]:
    """Non-maximum suppression of rescored boxes (best first): a box is dropped when it overlaps a better one by
    IoU above ``overlap``, or lies mostly (``inside`` of its area) within it or around it: the candidates of one
    item at several levels are nested."""
    kept: list[Box] = []
    for box in boxes:
        if all(_overlap(box, other) <= overlap and _nested(box, other) <= inside for other in kept):
            kept.append(box)
    return kept


def _nested(a: Box, b: Box) -> float:
    r0, c0, r1, c1 = max(a.row0, b.row0), max(a.col0, b.col0), min(a.row1, b.row1), min(a.col1, b.col1)
    inter = max(0, r1 - r0) * max(0, c1 - c0)
    smaller = min((a.row1 - a.row0) * (a.col1 - a.col0), (b.row1 - b.row0) * (b.col1 - b.col0))
    return inter / smaller if smaller else 0.0


def _overlap(a: Box, b: Box) -> float:
    r0, c0, r1, c1 = max(a.row0, b.row0), max(a.col0, b.col0), min(a.row1, b.row1), min(a.col1, b.col1)
    inter = max(0, r1 - r0) * max(0, c1 - c0)
    union = (a.row1 - a.row0) * (a.col1 - a.col0) + (b.row1 - b.row0) * (b.col1 - b.col0) - inter
    return inter / union if union else 0.0


def image_score(prob: np.ndarray) -> float:
    return float(ndimage.uniform_filter(prob, 2, mode="nearest").max()) if prob.size else 0.0


def _b64(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode(), mtime=0)).decode()


def _unb64(data: str) -> str:
    return gzip.decompress(base64.b64decode(data)).decode()


class WindowDetector:
    """Multi-scale window features + LightGBM (the shipped detector)."""

    name = "windows-lightgbm"

    def __init__(self, n_estimators: int = 250, num_leaves: int = 31, learning_rate: float = 0.06,
                 box_threshold: float = 0.4, seed: int = 0):
        self.n_estimators = n_estimators
        self.num_leaves = num_leaves
        self.learning_rate = learning_rate
        self.box_threshold = box_threshold
        self.seed = seed

    def fit(self, features: np.ndarray, labels: np.ndarray) -> WindowDetector:
        import lightgbm

        self.booster_ = lightgbm.train(
            {"objective": "binary", "num_leaves": self.num_leaves, "learning_rate": self.learning_rate,
             "min_data_in_leaf": 40, "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
             "lambda_l2": 1.0, "seed": self.seed, "deterministic": True, "num_threads": 2, "verbose": -1},
            lightgbm.Dataset(features, label=labels.astype(np.float32)), num_boost_round=self.n_estimators)
        return self

    def probability(self, dec: Decomposition, maps: np.ndarray | None = None) -> np.ndarray:
        features, grid = window_features(dec, maps)
        return self.booster_.predict(features, num_threads=1).reshape(grid)

    def candidates(self, dec: Decomposition) -> tuple[np.ndarray, list[Box], np.ndarray]:
        """The window probabilities, the candidate boxes and their second-stage features."""
        maps, _ = feature_maps(dec)
        prob = self.probability(dec, maps)
        boxes = boxes_from_probability(prob, dec.hi.shape, 0.0)
        rows = np.stack([box_features(prob, maps, b, dec.hi.shape) for b in boxes]) if boxes else None
        return prob, boxes, rows

    def fit_rescorer(self, rows: np.ndarray, labels: np.ndarray) -> WindowDetector:
        """Second stage: a classifier of candidate boxes (right: overlaps a concealed item by IoU >= 0.5)."""
        import lightgbm

        self.rescorer_ = lightgbm.train(
            {"objective": "binary", "num_leaves": 15, "learning_rate": 0.05, "min_data_in_leaf": 20,
             "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
             "seed": self.seed, "deterministic": True, "num_threads": 2, "verbose": -1},
            lightgbm.Dataset(rows, label=labels.astype(np.float32)), num_boost_round=150)
        return self

    def detect(self, dec: Decomposition, threshold: float | None = None) -> Detection:
        """Boxes scored by the second stage (when fitted), best first, those under ``threshold`` (default: the
        box threshold) left out; the image score is the best box's, or a fraction of the peak window probability
        when no candidate stands out."""
        prob, boxes, rows = self.candidates(dec)
        threshold = self.box_threshold if threshold is None else threshold
        rescorer = getattr(self, "rescorer_", None)
        if boxes and rescorer is not None:
            scores = rescorer.predict(rows, num_threads=1)
            boxes = suppress(sorted((Box(b.row0, b.col0, b.row1, b.col1, float(p)) for b, p in zip(boxes, scores)),
                                    key=lambda b: -b.score))
        score = boxes[0].score if boxes else 0.1 * image_score(prob)
        return Detection(score, [b for b in boxes if b.score >= threshold])

    def to_dict(self) -> dict:
        out = {"kind": self.name, "box_threshold": self.box_threshold, "seed": self.seed,
               "params": {"n_estimators": self.n_estimators, "num_leaves": self.num_leaves,
                          "learning_rate": self.learning_rate},
               "booster": _b64(self.booster_.model_to_string())}
        if getattr(self, "rescorer_", None) is not None:
            out["rescorer"] = _b64(self.rescorer_.model_to_string())
        return out

    @classmethod
    def from_dict(cls, data: dict) -> WindowDetector:
        import lightgbm

        out = cls(box_threshold=data["box_threshold"], seed=data["seed"], **data["params"])
        out.booster_ = lightgbm.Booster(model_str=_unb64(data["booster"]))
        if data.get("rescorer"):
            out.rescorer_ = lightgbm.Booster(model_str=_unb64(data["rescorer"]))
        return out


class SuperpixelDetector:
    """Baseline: SLIC superpixels, per-superpixel averages of the same features, histogram gradient boosting."""

    name = "superpixels-hgb"

    def __init__(self, n_segments: int = 220, box_threshold: float = 0.4, seed: int = 0):
        self.n_segments = n_segments
        self.box_threshold = box_threshold
        self.seed = seed

    def segments(self, dec: Decomposition) -> np.ndarray:
        from skimage.segmentation import slic

        image = np.stack([np.clip(dec.hi / 4.0, 0, 1.5), np.clip(dec.z / 30.0, 0, 1)], axis=-1)
        return slic(image, n_segments=self.n_segments, compactness=0.1, channel_axis=-1, start_label=0,
                    enforce_connectivity=True)

    def region_features(self, dec: Decomposition) -> tuple[np.ndarray, np.ndarray]:
        maps, _ = feature_maps(dec)
        segments = self.segments(dec)
        n = int(segments.max()) + 1
        index = np.arange(n)
        counts = np.bincount(segments.ravel(), minlength=n).astype(np.float32)
        means = np.stack([ndimage.mean(m, segments, index) for m in maps], axis=1)
        return np.column_stack([means, counts]).astype(np.float32), segments

    def fit(self, features: np.ndarray, labels: np.ndarray) -> SuperpixelDetector:
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.model_ = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.08, random_state=self.seed)
        self.model_.fit(features, labels)
        return self

    def detect(self, dec: Decomposition) -> Detection:
        features, segments = self.region_features(dec)
        prob = self.model_.predict_proba(features)[:, 1][segments]
        small = prob[STRIDE // 2 :: STRIDE, STRIDE // 2 :: STRIDE]
        return Detection(image_score(small), boxes_from_probability(small, dec.hi.shape, self.box_threshold))


def save(path, detector, manifest: dict, meta: dict) -> None:
    payload = {"format": "smartcustoms-nii-model/1", "detector": detector.to_dict(), "manifest": manifest,
               "meta": meta}
    # no time or name in the gzip header: the same model gives the same bytes
    with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9,
                                                  mtime=0) as out:
        out.write(json.dumps(payload, sort_keys=True).encode("utf-8"))


def load(path) -> tuple:
    """(detector, manifest model, meta) from a model file: the U-Net (``unet-numpy``) or the window model."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        payload = json.load(handle)
    data = payload["detector"]
    if data.get("kind") == "unet-numpy":
        from smartcustoms.nii.net import NetDetector

        return NetDetector.from_dict(data), payload["manifest"], payload["meta"]
    return WindowDetector.from_dict(data), payload["manifest"], payload["meta"]
