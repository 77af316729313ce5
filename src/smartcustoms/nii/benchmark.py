"""The NII benchmark: held-out scenes (templates, textures and scanner settings never used in training), the
shipped detector against the superpixel baseline, the manifest check, the time per scan. All figures synthetic."""

from __future__ import annotations

import time

import numpy as np

from smartcustoms.nii import pipeline


def run(analyzer: pipeline.Analyzer, seed: int = 2017, n_images: int = 400, baseline_train: int = 150,
        progress=None) -> dict:
    """Figures on two held-out sets of ``n_images`` each: unseen templates and textures with training-range
    scanner settings, and the same with unseen scanner settings (the headline figures are on the second, the
    harder one; the drop between them is reported)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    say = progress or (lambda message: None)
    say(f"generating {n_images} held-out scans, training scanner settings")
    seen = pipeline.make_set(seed, n_images, "heldout", settings_split="train")
    say(f"generating {n_images} held-out scans, unseen scanner settings")
    unseen = pipeline.make_set(seed + 1, n_images, "heldout", settings_split="heldout")
    say("evaluating the shipped detector")
    on_seen = pipeline.evaluate(analyzer.detector, analyzer.manifest_model, seen)
    on_unseen = pipeline.evaluate(analyzer.detector, analyzer.manifest_model, unseen)
    result = {
        "synthetic": True,
        "model": analyzer.version,
        "held_out": "templates, textures and scanner settings never used in training",
        "images": on_unseen["images"],
        "threat_images": on_unseen["threat_images"],
        **{key: on_unseen[key] for key in (
            "detection_rate_at_1pct_fa", "detection_rate_at_5pct_fa", "image_auroc", "map50", "map50_easy",
            "map50_hard", "map50_hidden", "manifest_auroc", "manifest_detection_at_1pct_fa",
            "manifest_detection_at_5pct_fa")},
        "seen_settings": {key: on_seen[key] for key in (
            "detection_rate_at_1pct_fa", "map50", "map50_hidden", "manifest_auroc")},
    }
    result["drop_on_unseen_settings"] = {
        key: round(on_seen[key] - on_unseen[key], 4)
        for key in ("detection_rate_at_1pct_fa", "map50", "map50_hidden", "manifest_auroc")}
    difficulties = {}
    for item in unseen:
        for threat in item.scene.threats:
            difficulties[threat.difficulty] = difficulties.get(threat.difficulty, 0) + 1
    result["threats_by_difficulty"] = difficulties
    # time of one whole analysis (decomposition, detection, manifest check) from the recorded images
    rng = np.random.default_rng(seed + 2)
    timings, cpu = [], []
    for item in unseen[:40]:
        low, high = pipeline.render(item.scene, rng)
        cpu_before = time.process_time()
        _, seconds = _timed(analyzer, item, low, high)
        cpu.append(time.process_time() - cpu_before)
        timings.append(seconds)
    result["seconds_per_scan"] = round(float(np.median(timings)), 4)
    result["seconds_per_scan_p95"] = round(float(np.quantile(timings, 0.95)), 4)
    result["cpu_seconds_per_scan"] = round(float(np.median(cpu)), 4)
    if baseline_train:
        from smartcustoms.nii.detect import SuperpixelDetector

        say(f"training the superpixel baseline on {baseline_train} training scans")
        base = train_superpixels(seed + 3, baseline_train)
        say("evaluating the baseline")
        on_base = pipeline.evaluate(base, None, unseen)
        result["baseline"] = {"name": SuperpixelDetector.name, "trained_on": baseline_train, **{
            key: on_base[key] for key in ("detection_rate_at_1pct_fa", "image_auroc", "map50", "map50_hidden",
                                          "seconds_per_scan")}}
    result["benchmark_seconds"] = round(time.perf_counter() - started, 1)
    result["benchmark_cpu_seconds"] = round(time.process_time() - cpu_started, 1)
    return _finite(result)


def _finite(value):
    """NaN (a figure with nothing to measure, e.g. no "easy" item in a small set) as null: valid JSON."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, float) and value != value:
        return None
    return value


def _timed(analyzer, item, low, high):
    s = item.scene
    started = time.perf_counter()
    result = analyzer.analyse(low, high, s.settings, s.pixel_cm, s.kind, s.tare_kg, s.declared_hs, s.declared_kg)
    return result, time.perf_counter() - started


def train_superpixels(seed: int, n_scenes: int):
    from smartcustoms.nii.detect import SuperpixelDetector

    items = pipeline.make_set(seed, n_scenes, "train")
    detector = SuperpixelDetector(seed=seed)
    xs, ys = [], []
    for item in items:
        features, segments = detector.region_features(item.dec)
        mask = pipeline.scenes.threat_mask(item.scene)
        n = len(features)
        share = np.bincount(segments.ravel(), weights=mask.ravel(), minlength=n) / np.maximum(
            np.bincount(segments.ravel(), minlength=n), 1)
        xs.append(features)
        ys.append(share >= 0.5)
    return detector.fit(np.concatenate(xs), np.concatenate(ys))
