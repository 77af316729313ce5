"""Non-intrusive inspection use cases: link containers to declarations, receive a scan (check the file, analyse it,
store scan and analysis as evidence on the declaration, raise the declaration's risk on an alarm), read analyses
back (with the picture), and the findings of the lane (unmatched scans, declarations never scanned).

Each function takes the Engine (it runs its own transaction). An alarm on a declaration whose lane is green or
yellow moves it to red through the risk domain's override (its own append-only trail, written right after the
scan's transaction).
"""

from __future__ import annotations

import hashlib
import io
import json
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, update

from smartcustoms.nii import repository, scanfile
from smartcustoms.nii.schemas import AnalysisOut, FindingOut, ScanResult
from smartcustoms.nii.tables import nii_analyses
from smartcustoms.refusals import Kind, Refusal
from smartcustoms.store.db import transaction

OFFICER = "nii-analysis"  # who the lane changes are written by
ESCALATE_FROM = ("green", "yellow")


class NiiRefusal(Refusal):
    pass


@lru_cache(maxsize=4)
def _analyzer(path: str | None):
    from smartcustoms.nii.pipeline import Analyzer

    try:
        return Analyzer.load(Path(path) if path else None)
    except FileNotFoundError as exc:
        raise NiiRefusal("nii_model_missing", "no NII model: run `smartcustoms nii train` first",
                         kind=Kind.CONFLICT) from exc


def analyzer(model_path: str | Path | None = None):
    """The shipped model (or the one at ``model_path``), loaded once."""
    return _analyzer(str(model_path) if model_path else None)


def register_unit(db: Engine, declaration_id: str, container_id: str, vehicle_id: str | None = None) -> int:
    """Record that a container (and the vehicle carrying it) holds the goods of a declaration."""
    container_id = (container_id or "").strip().upper()
    if not container_id or len(container_id) > 20:
        raise NiiRefusal("nii_container_invalid", "a container ID has 1 to 20 characters", field="container_id")
    with transaction(db) as conn:
        if not repository.declaration_exists(conn, declaration_id):
            raise NiiRefusal("nii_declaration_unknown", f"no declaration {declaration_id}", field="declaration_id",
                             kind=Kind.NOT_FOUND, declaration_id=declaration_id)
        return repository.add_unit(conn, declaration_id, container_id, vehicle_id)


def _lanes(db: Engine, declaration_ids: list[str]) -> dict[str, tuple[int, str]]:
    """Latest decision and lane (after overrides) per declaration, from the risk domain."""
    if not declaration_ids:
        return {}
    from smartcustoms.risk.repository import latest_decisions

    frame = latest_decisions(db, ids=declaration_ids)
    return {row.declaration_id: (int(row.decision_id), str(row.final_lane)) for row in frame.itertuples()}


def _escalate(db: Engine, decision_id: int, reason: str) -> None:
    from smartcustoms.risk import repository as audit

    audit.override(db, decision_id, "red", reason, OFFICER)


def submit_scan(db: Engine, content: bytes, *, declaration_id: str | None = None, container_id: str | None = None,
                vehicle_id: str | None = None, actor: str = "nii", escalate: bool = True,
                model_path: str | Path | None = None) -> ScanResult:
    """Check, analyse and store one scan linked to a declaration (directly, or by container or vehicle ID).

    A malformed file is refused (nii_scan_*) and nothing is stored; an unknown declaration is refused too. A scan
    whose container or vehicle matches no declaration is stored, analysed, and recorded as an ``unmatched_scan``
    finding."""
    scan = scanfile.read(content)
    container_id = (container_id or scan.meta.get("container_id") or "").strip().upper() or None
    vehicle_id = (vehicle_id or scan.meta.get("vehicle_id") or "").strip().upper() or None
    if not (declaration_id or container_id or vehicle_id):
        raise NiiRefusal("nii_scan_unlinked", "a scan needs a declaration, a container or a vehicle ID",
                         field="declaration_id")
    model = analyzer(model_path)
    with transaction(db) as conn:
        if declaration_id:
            if not repository.declaration_exists(conn, declaration_id):
                raise NiiRefusal("nii_declaration_unknown", f"no declaration {declaration_id}",
                                 field="declaration_id", kind=Kind.NOT_FOUND, declaration_id=declaration_id)
            targets = [declaration_id]
        else:
            targets = repository.declarations_of_unit(conn, container_id, vehicle_id)
        goods = {d: repository.declared_goods(conn, d) for d in targets}
    lanes = _lanes(db, targets)
    results = []
    for target in targets or [None]:
        hs, declared_kg = goods.get(target, (None, None))
        known = hs is not None and f"{scan.kind}/{hs}" in model.manifest_model.get("profiles", {})
        result, _ = model.analyse(scan.low, scan.high, scan.settings, scan.pixel_cm, scan.kind, scan.tare_kg,
                                  declared_hs=hs if known else None, declared_kg=declared_kg if known else None)
        results.append((target, hs, declared_kg, result))
    findings = []
    with transaction(db) as conn:
        scan_id = repository.add_scan(
            conn, scan_ref=scan.meta.get("scan_ref"), sha256=hashlib.sha256(content).hexdigest(),
            declaration_id=targets[0] if len(targets) == 1 else None, container_id=container_id,
            vehicle_id=vehicle_id, kind=scan.kind, settings=json.dumps(scan.meta["settings"], sort_keys=True),
            rows=int(scan.low.shape[0]), cols=int(scan.low.shape[1]), content=content, received_by=actor)
        stored = []
        for target, hs, declared_kg, result in results:
            lane = lanes.get(target, (None, None))[1] if target else None
            analysis_id = repository.add_analysis(
                conn, scan_id=scan_id, declaration_id=target, model_version=model.version,
                image_score=result.image_score, alarm=result.alarm, boxes=result.boxes,
                estimated_kg=result.estimated_kg, declared_kg=declared_kg, declared_hs=hs,
                manifest_score=result.manifest_score, manifest_alarm=result.manifest_alarm, signals=result.signals,
                material_kg=result.material_kg, seconds=result.seconds, lane_before=lane, lane_after=lane)
            stored.append((analysis_id, target, result, lane))
        if not targets:
            findings.append(repository.add_finding(
                conn, "unmatched_scan", f"scan of {container_id or vehicle_id} matches no declaration",
                scan_id=scan_id, container_id=container_id))
    for analysis_id, target, result, lane in stored:
        if escalate and target and lane in ESCALATE_FROM and (result.alarm or result.manifest_alarm):
            what = "concealment alarm" if result.alarm else "scan does not match the declaration"
            reason = (f"NII scan {scan_id}: {what} (image score {result.image_score:.2f}"
                      + (f", manifest score {result.manifest_score:.2f})" if result.manifest_score is not None
                         else ")"))
            _escalate(db, lanes[target][0], reason)
            with transaction(db) as conn:
                conn.execute(update(nii_analyses).where(nii_analyses.c.analysis_id == analysis_id)
                             .values(lane_after="red"))
    with transaction(db) as conn:
        analyses = [AnalysisOut(**repository.analysis(conn, analysis_id)) for analysis_id, *_ in stored]
    return ScanResult(scan_id=scan_id, analyses=analyses, findings=findings)


def analyses_for(db: Engine, declaration_id: str) -> list[AnalysisOut]:
    with transaction(db) as conn:
        return [AnalysisOut(**row) for row in repository.analyses_of(conn, declaration_id)]


def get_analysis(db: Engine, analysis_id: int) -> AnalysisOut:
    with transaction(db) as conn:
        row = repository.analysis(conn, analysis_id)
    if row is None:
        raise NiiRefusal("nii_analysis_unknown", f"no analysis {analysis_id}", field="analysis_id",
                         kind=Kind.NOT_FOUND, analysis_id=analysis_id)
    return AnalysisOut(**row)


def analysis_png(db: Engine, analysis_id: int, scale: int = 2) -> bytes:
    """The scan in the standard material colours, with the detector's boxes, as PNG."""
    from PIL import Image, ImageDraw

    from smartcustoms.nii.analysis import colour, decompose

    found = get_analysis(db, analysis_id)
    with transaction(db) as conn:
        content = repository.scan_content(conn, found.scan_id)
    scan = scanfile.read(content)
    rgb = colour(decompose(scan.low, scan.high, scan.settings))
    image = Image.fromarray(rgb).resize((rgb.shape[1] * scale, rgb.shape[0] * scale), Image.NEAREST)
    draw = ImageDraw.Draw(image)
    for row0, col0, row1, col1, _score in found.boxes:
        draw.rectangle([col0 * scale, row0 * scale, col1 * scale - 1, row1 * scale - 1], outline=(230, 0, 0),
                       width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def score_bags(bags: list[dict], *, simulate: bool = False, threat_rate: float = 0.02, alarm_at: float = 0.8,
               model_path: str | Path | None = None) -> dict[str, float]:
    """Pre-screening of checked bags (for the passengers' domain): ``{tag: score}`` (0..1) from each bag's X-ray
    scan: the detector's image score rescaled (piecewise linear) so that the model's alarm threshold (about 1 %
    false alarms on clean scans) falls on ``alarm_at`` (the passengers' selection threshold).

    A bag carrying ``scan`` (the bytes of a scan file, the project's format) is analysed as it is; a malformed file
    is refused (``nii_scan_*``). A bag without one gets no score, or with ``simulate`` a synthetic bag scan drawn
    from its tag (the same tag, the same scan; about ``threat_rate`` of them hide something) analysed by the same
    model (0.3 to 1 s a bag on a shared machine: for demonstrations, not for whole flights in tests).
    Nothing is stored: the passengers' domain records the scores."""
    import numpy as np

    from smartcustoms.nii import pipeline, scenes

    if not simulate and all(bag.get("scan") is None for bag in bags):
        return {}  # nothing to analyse: the model is not even loaded
    model = analyzer(model_path)
    out = {}
    for bag in bags:
        tag = str(bag["tag"])
        if bag.get("scan") is not None:
            scan = scanfile.read(bag["scan"])
            low, high, settings, pixel_cm, kind = scan.low, scan.high, scan.settings, scan.pixel_cm, scan.kind
        elif simulate:
            rng = np.random.default_rng(int.from_bytes(hashlib.sha256(tag.encode()).digest()[:8], "big"))
            scene = scenes.generate(rng, threat_rate=threat_rate, misdeclare_rate=0.0, kind="bag")
            low, high = pipeline.render(scene, rng)
            settings, pixel_cm, kind = scene.settings, scene.pixel_cm, scene.kind
        else:
            continue
        result, _ = model.analyse(low, high, settings, pixel_cm, kind)
        out[tag] = round(_rescale(result.image_score, model.meta["image_threshold"], alarm_at), 4)
    return out


def _rescale(score: float, threshold: float, alarm_at: float) -> float:
    threshold = min(max(threshold, 1e-6), 1 - 1e-6)
    if score < threshold:
        return alarm_at * max(score, 0.0) / threshold
    return min(alarm_at + (1 - alarm_at) * (score - threshold) / (1 - threshold), 1.0)


def record_never_scanned(db: Engine, declaration_ids: list[str], detail: str) -> list[int]:
    """Findings for declarations expected at the scanner (their container passed the lane) but never scanned."""
    with transaction(db) as conn:
        scanned = repository.scanned_declarations(conn, declaration_ids)
        return [repository.add_finding(conn, "never_scanned", detail, declaration_id=d)
                for d in declaration_ids if d not in scanned]


def findings(db: Engine, limit: int = 200) -> list[FindingOut]:
    with transaction(db) as conn:
        return [FindingOut(**row) for row in repository.findings(conn, limit)]


def counts(db: Engine) -> dict:
    with transaction(db) as conn:
        return repository.counts(conn)


def run_lane(db: Engine, trucks_per_hour: float = 60.0, hours: float = 0.5, seed: int = 5,
             declared_share: float = 0.9, no_show_share: float = 0.05, threat_rate: float = 0.05,
             model_path: str | Path | None = None):
    """Drive-through (gantry) lane on generated container scans: trucks arrive at random (Poisson) at the given
    rate; each is scanned, its scan analysed and stored as it comes (matched to its declaration by container ID);
    a truck whose container has no declaration gives an ``unmatched_scan`` finding, a declaration whose container
    never came through a ``never_scanned`` one. The analysis times are measured on this machine and the lane's
    queue follows from them (one analysis at a time, first come first served)."""
    import time

    import numpy as np

    from smartcustoms.nii import pipeline, scenes
    from smartcustoms.nii.schemas import LaneReport

    rng = np.random.default_rng(seed)
    n = int(rng.poisson(trucks_per_hour * hours))
    arrivals = np.sort(rng.uniform(0.0, hours * 3600.0, n))
    with transaction(db) as conn:
        pool = repository.unlinked_declarations(conn, int(n * declared_share) + int(n * no_show_share) + 1)
    if not pool:
        raise NiiRefusal("nii_lane_no_declarations", "the lane needs declarations in the database",
                         kind=Kind.CONFLICT)
    prefix = f"L{seed % 100:02d}{int(rng.integers(0, 10**4)):04d}"
    containers, pool_at = [], 0
    for i in range(n):
        container = f"{prefix}{i:05d}"
        containers.append(container)
        if rng.random() < declared_share and pool_at < len(pool):
            register_unit(db, pool[pool_at], container)
            pool_at += 1
    no_shows = []
    for _ in range(int(round(n * no_show_share))):
        if pool_at < len(pool):
            container = f"{prefix}N{pool_at:04d}"
            register_unit(db, pool[pool_at], container)
            no_shows.append(pool[pool_at])
            pool_at += 1
    service_times, matched, unmatched, alarms, escalated = [], 0, 0, 0, 0
    for container in containers:
        scene = scenes.generate(rng, split="train", threat_rate=threat_rate, kind="container", misdeclare_rate=0.0)
        low, high = pipeline.render(scene, rng)
        content = scanfile.from_scene(scene, low, high, container_id=container, scanner_id="lane-sim")
        started = time.perf_counter()
        result = submit_scan(db, content, container_id=container, actor="lane", model_path=model_path)
        service_times.append(time.perf_counter() - started)
        matched += bool(result.analyses and result.analyses[0].declaration_id)
        unmatched += len(result.findings)
        alarms += sum(a.alarm for a in result.analyses)
        escalated += sum(a.lane_before != a.lane_after for a in result.analyses)
    never = record_never_scanned(db, no_shows, "the container was expected at the lane but never scanned")
    times = np.asarray(service_times) if service_times else np.zeros(1)
    wait, waits, queue_max, finish = 0.0, [], 0, []
    for i in range(len(service_times)):
        if i:
            wait = max(0.0, wait + service_times[i - 1] - (arrivals[i] - arrivals[i - 1]))
        waits.append(wait)
        done = arrivals[i] + wait + service_times[i]
        finish.append(done)
        queue_max = max(queue_max, int(sum(1 for f in finish[:-1] if f > arrivals[i])))
    capacity = 3600.0 / max(float(times.mean()), 1e-9)
    return LaneReport(
        trucks_per_hour=trucks_per_hour, hours=hours, arrivals=n, scans_analysed=len(service_times),
        matched=matched, unmatched_scans=unmatched, never_scanned=len(never), alarms=alarms, escalated=escalated,
        seconds_per_scan_mean=round(float(times.mean()), 4),
        seconds_per_scan_p95=round(float(np.quantile(times, 0.95)), 4),
        capacity_scans_per_hour=round(capacity, 1), utilisation=round(trucks_per_hour / capacity, 4),
        max_queue=queue_max, mean_wait_s=round(float(np.mean(waits)) if waits else 0.0, 3))


def seed_demo(db: Engine, since=None, controlled: int = 6, gantry: int = 2, seed: int = 17,
              model_path: str | Path | None = None) -> dict:
    """Scans for the demo world: containers of red and yellow declarations accepted since `since` (the controlled
    ones whose tasks the officer console shows open) and a few green ones driven through the gantry; every third
    container hides something. Returns counts."""
    import numpy as np

    from smartcustoms.nii import pipeline, scenes
    from smartcustoms.risk.repository import latest_decisions

    frame = latest_decisions(db)
    if since is not None:  # the declarations of the last days: their tasks are the ones left open
        with transaction(db) as conn:
            recent = repository.accepted_since(conn, list(frame["declaration_id"]), since)
        frame = frame[frame["declaration_id"].isin(recent)]
    chosen = (list(frame.loc[frame["final_lane"].isin(["red", "yellow"]), "declaration_id"].tail(controlled))
              + list(frame.loc[frame["final_lane"] == "green", "declaration_id"].tail(gantry)))
    rng = np.random.default_rng(seed)
    out = {"scans": 0, "alarms": 0, "escalated": 0, "declarations": chosen}
    for i, declaration_id in enumerate(chosen):
        container = f"DEMU{seed % 100:02d}{i:05d}"
        register_unit(db, declaration_id, container)
        scene = scenes.generate(rng, threat_rate=1.0 if i % 3 == 0 else 0.0, kind="container", misdeclare_rate=0.0)
        low, high = pipeline.render(scene, rng)
        content = scanfile.from_scene(scene, low, high, container_id=container, scanner_id="demo-gantry",
                                      scan_ref=f"DEMO-{i + 1}")
        result = submit_scan(db, content, container_id=container, actor="demo", model_path=model_path)
        out["scans"] += 1
        out["alarms"] += sum(a.alarm for a in result.analyses)
        out["escalated"] += sum(a.lane_before != a.lane_after for a in result.analyses)
    return out


# ---- use cases without the database: the model, the benchmark, synthetic scans -------------------------------------

MAX_SCAN_BYTES = scanfile.MAX_BYTES


def default_model_path() -> Path:
    from smartcustoms.nii.pipeline import default_model_path as shipped

    return shipped()


def train_model(out: Path | None = None, seed: int = 17, scenes: int = 900, trees: int = 200,
                progress=None, detector: str = "window", steps: int = 1000) -> tuple[dict, Path]:
    """Train the detector and the manifest check on generated scans and write the model file (default: the
    package's shipped model). Returns the model's metadata and where it was written."""
    from smartcustoms.nii import pipeline

    target = Path(out) if out else pipeline.default_model_path()
    if detector not in ("net", "window"):
        raise NiiRefusal("nii_detector_unknown", "the detector is net or window", field="detector")
    analyzer = pipeline.train(seed=seed, n_scenes=scenes, n_estimators=trees, progress=progress, detector=detector,
                              steps=steps)
    target.parent.mkdir(parents=True, exist_ok=True)
    pipeline.save_analyzer(analyzer, target)
    _analyzer.cache_clear()
    return {**analyzer.meta, "version": analyzer.version}, target


def run_benchmark(images: int = 300, seed: int = 2017, baseline: int = 120, model_path: Path | None = None,
                  progress=None) -> dict:
    """The benchmark of the model on generated held-out scans (nii.benchmark)."""
    from smartcustoms.nii import benchmark

    return benchmark.run(analyzer(model_path), seed=seed, n_images=images, baseline_train=baseline,
                         progress=progress)


def synthetic_scan(seed: int = 1, kind: str = "container", threat: bool = False,
                   container_id: str | None = None) -> tuple[bytes, dict]:
    """A scan file of a generated scene, and what the scene holds."""
    import numpy as np

    from smartcustoms.nii import pipeline, scenes

    if kind not in scanfile.KINDS:
        raise NiiRefusal("nii_kind_unknown", f"kind must be one of {', '.join(scanfile.KINDS)}", field="kind")
    rng = np.random.default_rng(seed)
    scene = scenes.generate(rng, threat_rate=1.0 if threat else 0.0, kind=kind)
    low, high = pipeline.render(scene, rng)
    meta = {"scan_ref": f"SYN-{seed}", "scanner_id": "synthetic"}
    if container_id:
        meta["container_id"] = container_id
    return scanfile.from_scene(scene, low, high, **meta), {
        "kind": scene.kind, "template": scene.template, "hs": scene.hs, "goods_kg": round(scene.goods_kg, 3),
        "threats": [t.category for t in scene.threats]}
