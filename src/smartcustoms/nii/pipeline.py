"""Training and evaluation on generated scenes, and the analysis of one scan (decomposition, detection, manifest).

Everything is seeded: ``train(seed=...)`` gives the same model for the same seed and sizes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from smartcustoms.nii import manifest, physics, scenes
from smartcustoms.nii.analysis import Decomposition, decompose, group_masses, mass_kg
from smartcustoms.nii.detect import STRIDE, SuperpixelDetector, WindowDetector, grid_points, load, save, window_features

MODEL_FILE = "detector.json.gz"
ALARM_THRESHOLD_FA = 0.01  # the shipped threshold gives about 1% false alarms on clean training scans


def default_model_path() -> Path:
    return Path(str(resources.files("smartcustoms.nii") / "models" / MODEL_FILE))


def render(scene: scenes.Scene, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    low, high = physics.detect(scene.areal, scene.settings, rng)
    return low, high


@dataclass
class Analysis:
    image_score: float
    alarm: bool
    boxes: list  # [[row0, col0, row1, col1, score], ...]
    estimated_kg: float
    declared_kg: float | None
    manifest_score: float | None
    manifest_alarm: bool
    signals: dict = field(default_factory=dict)
    material_kg: dict = field(default_factory=dict)
    seconds: float = 0.0


class Analyzer:
    """The shipped model: detector, manifest check and alarm thresholds."""

    def __init__(self, detector, manifest_model: dict, meta: dict):
        self.detector, self.manifest_model, self.meta = detector, manifest_model, meta

    @classmethod
    def load(cls, path: Path | None = None) -> Analyzer:
        return cls(*load(path or default_model_path()))

    @property
    def version(self) -> str:
        return f"{self.detector.name}:{self.meta.get('fingerprint', 'unknown')}"

    def analyse(self, low: np.ndarray, high: np.ndarray, settings: physics.ScannerSettings, pixel_cm: float,
                kind: str, tare_kg: float = 0.0, declared_hs: str | None = None,
                declared_kg: float | None = None) -> tuple[Analysis, Decomposition]:
        started = time.perf_counter()
        dec = decompose(low, high, settings)
        found = self.detector.detect(dec)
        threshold = self.meta["image_threshold"]
        estimated = mass_kg(dec, pixel_cm) - tare_kg
        masses = group_masses(dec, pixel_cm)
        m_score, signals = None, {}
        if declared_hs is not None and declared_kg is not None and self.manifest_model:
            ratio = manifest.mass_log_ratio(dec, pixel_cm, tare_kg, declared_kg)
            m_score, signals = manifest.score(self.manifest_model, manifest.signature(dec, pixel_cm), kind,
                                              declared_hs, ratio)
        result = Analysis(
            image_score=round(found.score, 4), alarm=found.score >= threshold,
            boxes=[b.as_list() for b in found.boxes if b.score >= threshold],
            estimated_kg=round(float(estimated), 3), declared_kg=declared_kg,
            manifest_score=None if m_score is None else round(float(m_score), 4),
            manifest_alarm=m_score is not None and m_score >= self.meta["manifest_threshold"],
            signals=signals,
            material_kg={"organic": round(float(masses[0]), 3), "inorganic": round(float(masses[1]), 3),
                         "metal": round(float(masses[2]), 3), "opaque_share": round(float(masses[3]), 4)},
            seconds=round(time.perf_counter() - started, 4))
        return result, dec


# ---- data sets ---------------------------------------------------------------------------------------------------


@dataclass
class Rendered:
    scene: scenes.Scene
    dec: Decomposition


def make_set(seed: int, n: int, split: str, settings_split: str | None = None, threat_rate: float = 0.5,
             progress=None) -> list[Rendered]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        scene = scenes.generate(rng, split=split, threat_rate=threat_rate, settings_split=settings_split)
        low, high = render(scene, rng)
        out.append(Rendered(scene, decompose(low, high, scene.settings)))
        if progress:
            progress(i + 1, n)
    return out


def window_labels(item: Rendered) -> np.ndarray:
    rows, cols = grid_points(item.dec.hi.shape)
    mask = scenes.threat_mask(item.scene)
    # a window is positive when a good part of its cell lies on a concealed item
    cover = np.zeros((len(rows), len(cols)))
    for dr in range(-STRIDE // 2, STRIDE // 2):
        for dc in range(-STRIDE // 2, STRIDE // 2):
            rr = np.clip(rows + dr, 0, mask.shape[0] - 1)
            cc = np.clip(cols + dc, 0, mask.shape[1] - 1)
            cover += mask[rr][:, cc]
    return (cover / STRIDE**2 >= 0.5).ravel()


def fingerprint(detector) -> str:
    import hashlib

    if hasattr(detector, "fingerprint"):
        return detector.fingerprint()
    return hashlib.sha256(detector.booster_.model_to_string().encode()).hexdigest()[:12]


def _manifest_inputs(items: list[Rendered]):
    sigs, kinds, true_hs, declared, ratios, labels = [], [], [], [], [], []
    for item in items:
        s = item.scene
        sigs.append(manifest.signature(item.dec, s.pixel_cm))
        kinds.append(s.kind)
        true_hs.append(s.hs)
        declared.append(s.declared_hs)
        ratios.append(manifest.mass_log_ratio(item.dec, s.pixel_cm, s.tare_kg, s.declared_kg))
        labels.append(s.misdeclared)
    return np.array(sigs), kinds, true_hs, declared, ratios, np.array(labels)


def train(seed: int = 17, n_scenes: int = 1200, negatives_kept: float = 0.3, n_estimators: int = 250,
          progress=None, detector: str = "window", steps: int = 1200, items: list | None = None) -> Analyzer:
    """Generate training scenes (training templates, textures and scanner settings only), fit the detector (the
    U-Net with ``detector="net"``: PyTorch needed; the window model otherwise) and the manifest check, and set the
    alarm thresholds on a calibration part of the scenes."""
    items = items if items is not None else make_set(seed, n_scenes, "train", progress=progress)
    n_fit = int(len(items) * 0.8)
    fit_items, calibration_items = items[:n_fit], items[n_fit:]
    if detector == "net":
        return _train_net(seed, n_scenes, steps, fit_items, calibration_items)
    n_windows = max(int(n_fit * 0.7), 1)
    window_items, box_items = fit_items[:n_windows], fit_items[n_windows:]
    rng = np.random.default_rng(seed + 1)
    xs, ys = [], []
    for item in window_items:
        x, _ = window_features(item.dec)
        y = window_labels(item)
        keep = y | (rng.random(len(y)) < negatives_kept)
        xs.append(x[keep])
        ys.append(y[keep])
    detector = WindowDetector(n_estimators=n_estimators, seed=seed).fit(np.concatenate(xs), np.concatenate(ys))
    # second stage: candidate boxes of scans the first stage never saw
    rows, labels = [], []
    for item in box_items:
        _, boxes, features = detector.candidates(item.dec)
        for box, row in zip(boxes, features if features is not None else []):
            rows.append(row)
            labels.append(any(iou((box.row0, box.col0, box.row1, box.col1), t.box) >= 0.5
                              for t in item.scene.threats))
    if rows and 0 < sum(labels) < len(labels):
        detector.fit_rescorer(np.stack(rows), np.array(labels))
    manifest_model, thresholds = _thresholds(detector.detect, fit_items, calibration_items)
    meta = {"seed": seed, "n_scenes": n_scenes, "negatives_kept": negatives_kept, "n_estimators": n_estimators,
            **thresholds,
            "fingerprint": fingerprint(detector), "synthetic": True}
    return Analyzer(detector, manifest_model, meta)


def _thresholds(found, fit_items: list[Rendered], calibration_items: list[Rendered]) -> tuple[dict, dict]:
    """The manifest check fitted on ``fit_items``; the alarm thresholds on the calibration scans: 1 % false alarms
    of the detector on clean ones, 5 % of the manifest check on honest ones."""
    clean_scores = [found(item.dec).score for item in calibration_items if not item.scene.threats]
    image_threshold = float(np.quantile(clean_scores, 1.0 - ALARM_THRESHOLD_FA)) if clean_scores else 0.5
    manifest_model = manifest.fit(*_manifest_inputs(fit_items))
    sigs, kinds, _, declared, ratios, labels = _manifest_inputs(calibration_items)
    m_scores = [manifest.score(manifest_model, s, k, h, r)[0] for s, k, h, r in zip(sigs, kinds, declared, ratios)]
    honest = np.asarray(m_scores)[~labels]
    manifest_threshold = float(np.quantile(honest, 0.95)) if len(honest) else 0.5
    return manifest_model, {"image_threshold": round(image_threshold, 6),
                            "manifest_threshold": round(manifest_threshold, 6)}


def _train_net(seed: int, n_scenes: int, steps: int, fit_items: list[Rendered],
               calibration_items: list[Rendered]) -> Analyzer:
    """The U-Net on three quarters of the fitting scans, its box rescorer on the last quarter."""
    from smartcustoms.nii import net, net_train

    n_net = max(int(len(fit_items) * 0.75), 1)
    net_items, box_items = fit_items[:n_net], fit_items[n_net:]
    images = [net.inputs(item.dec) for item in net_items]
    masks = [scenes.threat_mask(item.scene).astype(np.float32) for item in net_items]
    boxes = [[t.box for t in item.scene.threats] for item in net_items]
    weights = net_train.train(images, masks, boxes, seed=seed, steps=steps)
    detector = net.NetDetector(weights, seed=seed, params={"widths": list(net_train.WIDTHS), "steps": steps})
    rows, labels = _box_examples(detector, box_items)
    if len(rows) and 0 < labels.sum() < len(labels):
        detector.fit_rescorer(rows, labels)
    manifest_model, thresholds = _thresholds(detector.detect, fit_items, calibration_items)
    meta = {"seed": seed, "n_scenes": n_scenes, "steps": steps, **thresholds,
            "fingerprint": detector.fingerprint(), "synthetic": True}
    return Analyzer(detector, manifest_model, meta)


def _box_examples(detector, items: list[Rendered]) -> tuple[np.ndarray, np.ndarray]:
    """The candidate boxes' rows of the scans and whether each is right (IoU >= 0.5 with a concealed item)."""
    rows, labels = [], []
    for item in items:
        _, boxes, features = detector.candidates(item.dec)
        for box, row in zip(boxes, features):
            rows.append(row)
            labels.append(any(iou((box.row0, box.col0, box.row1, box.col1), t.box) >= 0.5
                              for t in item.scene.threats))
    return (np.stack(rows) if rows else np.zeros((0, 0))), np.array(labels, bool)


def save_analyzer(analyzer: Analyzer, path: Path) -> None:
    save(path, analyzer.detector, analyzer.manifest_model, analyzer.meta)


# ---- metrics -----------------------------------------------------------------------------------------------------


def iou(a, b) -> float:
    r0, c0 = max(a[0], b[0]), max(a[1], b[1])
    r1, c1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, r1 - r0) * max(0, c1 - c0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def average_precision(predictions: list[list], truths: list[list], only=None, threshold: float = 0.5) -> float:
    """VOC-style (all points) AP of class-agnostic boxes. predictions[i]: [(box, score)]; truths[i]: [(box, tag)];
    with ``only`` set, ground truths of other tags neither count nor penalise detections that match them."""
    records, n_positive = [], 0
    for preds, gts in zip(predictions, truths):
        used = [False] * len(gts)
        n_positive += sum(1 for _, tag in gts if only is None or tag == only)
        for box, score in sorted(preds, key=lambda p: -p[1]):
            best, best_j = 0.0, -1
            for j, (gt, _) in enumerate(gts):
                overlap = iou(box, gt)
                if overlap > best:
                    best, best_j = overlap, j
            if best >= threshold and not used[best_j]:
                used[best_j] = True
                tag = gts[best_j][1]
                if only is None or tag == only:
                    records.append((score, 1))
                # a match to a ground truth of another tag is neither right nor wrong here
            elif best >= threshold and only is not None and gts[best_j][1] != only:
                continue
            else:
                records.append((score, 0))
    if n_positive == 0:
        return float("nan")
    records.sort(key=lambda r: -r[0])
    hits = np.cumsum([r[1] for r in records]) if records else np.zeros(0)
    recall = hits / n_positive
    precision = hits / np.arange(1, len(records) + 1) if records else np.zeros(0)
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]).sum())


def detection_at_fa(scores: np.ndarray, positive: np.ndarray, fa: float) -> float:
    """Share of positive images alarmed when the threshold lets through `fa` of the negative ones."""
    negatives = np.sort(scores[~positive])
    if len(negatives) == 0 or positive.sum() == 0:
        return float("nan")
    k = int(np.floor(fa * len(negatives)))  # at most k negatives strictly above the threshold
    threshold = negatives[len(negatives) - 1 - k]
    return float((scores[positive] > threshold).mean())


def evaluate(detector, manifest_model: dict | None, items: list[Rendered], box_floor: float = 0.0) -> dict:
    """Image-level and box-level figures of a detector (and the manifest check) on rendered scenes."""
    from sklearn.metrics import roc_auc_score

    scores, positive, predictions, truths, seconds = [], [], [], [], []
    m_scores, m_labels = [], []
    for item in items:
        started = time.perf_counter()
        if not isinstance(detector, SuperpixelDetector):
            found = detector.detect(item.dec, threshold=box_floor)
        else:
            saved = detector.box_threshold
            detector.box_threshold = box_floor
            found = detector.detect(item.dec)
            detector.box_threshold = saved
        if manifest_model is not None:
            s = item.scene
            ratio = manifest.mass_log_ratio(item.dec, s.pixel_cm, s.tare_kg, s.declared_kg)
            m, _ = manifest.score(manifest_model, manifest.signature(item.dec, s.pixel_cm), s.kind, s.declared_hs,
                                  ratio)
            m_scores.append(m)
            m_labels.append(s.misdeclared)
        seconds.append(time.perf_counter() - started)
        scores.append(found.score)
        positive.append(bool(item.scene.threats))
        predictions.append([((b.row0, b.col0, b.row1, b.col1), b.score) for b in found.boxes])
        truths.append([(t.box, t.difficulty) for t in item.scene.threats])
    scores, positive = np.array(scores), np.array(positive)
    out = {
        "images": len(items), "threat_images": int(positive.sum()),
        "detection_rate_at_1pct_fa": round(detection_at_fa(scores, positive, 0.01), 4),
        "detection_rate_at_5pct_fa": round(detection_at_fa(scores, positive, 0.05), 4),
        "image_auroc": round(float(roc_auc_score(positive, scores)), 4),
        "map50": round(average_precision(predictions, truths), 4),
        "map50_easy": round(average_precision(predictions, truths, only="easy"), 4),
        "map50_hard": round(average_precision(predictions, truths, only="hard"), 4),
        "map50_hidden": round(average_precision(predictions, truths, only="hidden"), 4),
        "seconds_per_scan": round(float(np.median(seconds)), 4),
    }
    if m_scores:
        m_scores, m_labels = np.array(m_scores), np.array(m_labels)
        out["manifest_auroc"] = round(float(roc_auc_score(m_labels, m_scores)), 4)
        out["manifest_detection_at_1pct_fa"] = round(detection_at_fa(m_scores, m_labels, 0.01), 4)
        out["manifest_detection_at_5pct_fa"] = round(detection_at_fa(m_scores, m_labels, 0.05), 4)
    return out
