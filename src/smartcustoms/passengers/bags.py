"""Bag pre-screening: a score per checked bag (0..1, the X-ray analysis' suspicion) before its owner reaches the
hall; a bag at or above the threshold selects its passenger (linked by the bag tag).

The analysis is pluggable: any callable taking the bags (dicts with at least ``tag`` and ``weight_kg``) and
returning ``{tag: score}``. When ``smartcustoms.nii`` (the X-ray analysis module) offers a ``score_bags`` function
(in ``smartcustoms.nii.service`` or ``smartcustoms.nii``), it analyses the bags that have a scan and the stand-in
scores the others; the stand-in is a seeded simulation of an analyser's scores (stated in the source of every
result), until real images are wired in.
"""

import hashlib
import importlib
from collections.abc import Callable

BagScorer = Callable[[list[dict]], dict[str, float]]
THRESHOLD = 0.8


def simulated(bags: list[dict], flag_rate: float = 0.01) -> dict[str, float]:
    """A deterministic stand-in: a score from the tag's hash, about ``flag_rate`` of bags above THRESHOLD."""
    out = {}
    for bag in bags:
        u = int.from_bytes(hashlib.sha256(bag["tag"].encode()).digest()[:8], "big") / 2 ** 64
        out[bag["tag"]] = round(THRESHOLD + (1 - THRESHOLD) * (1 - u / flag_rate) if u < flag_rate
                                else THRESHOLD * (u - flag_rate) / (1 - flag_rate) * 0.9, 4)
    return out


def nii_scorer() -> tuple[BagScorer | None, str | None]:
    """The NII module's bag analysis when it is importable and offers one."""
    for module_name in ("smartcustoms.nii.service", "smartcustoms.nii"):
        try:
            module = importlib.import_module(module_name)
        except Exception:  # noqa: BLE001 - absent or broken: the stand-in is used
            continue
        function = getattr(module, "score_bags", None)
        if callable(function):
            return function, f"{module_name}.score_bags"
    return None, None


def scorer(choice: BagScorer | None = None) -> tuple[BagScorer, str]:
    """The scorer to use and its name: the one given, else the NII module's, else the simulation."""
    if choice is not None:
        return choice, getattr(choice, "__name__", "custom")
    found, _ = nii_scorer()
    if found is not None:
        def scans_then_simulated(bags: list[dict]) -> dict[str, float]:
            """The X-ray analysis of the bags that have a scan, the stand-in for the others."""
            scored = found(bags)
            return {**simulated([b for b in bags if b["tag"] not in scored]), **scored}

        return scans_then_simulated, "nii (bag scans), else simulated"
    return simulated, "simulated"
