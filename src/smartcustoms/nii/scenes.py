"""Procedural scenes: parcels, bags and container sections as per-material areal-density maps (g/cm^2), declared
goods drawn from templates per HS class, concealments inserted into the maps before rendering (exact threat image
projection), difficulty labels from the threat's contrast against clutter, scanner settings drawn per image.

Splits keep the benchmark honest: every template, texture and scanner-setting range has a ``train`` and a
``heldout`` side; ``generate(..., split="heldout")`` uses only what training never saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from smartcustoms.nii.physics import INDEX, NAMES, ScannerSettings, transmission

M = len(NAMES)
THREATS = ("drugs", "weapon", "ivory", "cash", "animal", "compartment")
DIFFICULTIES = ("easy", "hard", "hidden")


@dataclass(frozen=True)
class GoodsTemplate:
    name: str
    hs: str  # the HS heading the goods are declared under
    materials: dict  # material -> share of the goods' areal density
    pattern: str  # grid | cylinders | scatter | layers | bulk
    areal: tuple  # g/cm^2 range of one item along the beam
    fill: tuple  # fraction of the interior covered
    item_px: tuple  # item size range, pixels
    split: str = "train"


# Two or three packings per HS heading; the last of each is held out of training.
TEMPLATES: tuple[GoodsTemplate, ...] = (
    GoodsTemplate("t-shirts folded", "6109", {"cellulose": 0.8, "polyethylene": 0.2},
                  "layers", (1.0, 4.0), (0.6, 0.9), (6, 14)),
    GoodsTemplate("t-shirts boxed", "6109", {"cellulose": 0.75, "polyethylene": 0.25},
                  "grid", (1.5, 4.0), (0.5, 0.8), (18, 30)),
    GoodsTemplate("t-shirts bales", "6109", {"cellulose": 0.85, "polyethylene": 0.15},
                  "bulk", (1.5, 5.0), (0.6, 0.9), (10, 20), "heldout"),
    GoodsTemplate("laptops", "8471", {"aluminium": 0.35, "polyethylene": 0.35, "copper": 0.1, "glass": 0.2},
                  "grid", (1.0, 3.0), (0.4, 0.8), (20, 34)),
    GoodsTemplate("phones", "8471", {"aluminium": 0.3, "glass": 0.3, "polyethylene": 0.3, "copper": 0.1},
                  "scatter", (0.8, 2.0), (0.3, 0.6), (8, 14)),
    GoodsTemplate("servers", "8471", {"steel": 0.4, "aluminium": 0.2, "polyethylene": 0.3, "copper": 0.1},
                  "grid", (1.5, 4.0), (0.5, 0.8), (24, 40), "heldout"),
    GoodsTemplate("wine bottles", "2204", {"glass": 0.4, "water": 0.6}, "cylinders", (3.0, 8.0), (0.5, 0.85), (8, 12)),
    GoodsTemplate("wine boxed", "2204", {"glass": 0.35, "water": 0.5, "cellulose": 0.15},
                  "grid", (3.0, 8.0), (0.5, 0.8), (14, 22)),
    GoodsTemplate("wine magnums", "2204", {"glass": 0.45, "water": 0.55},
                  "cylinders", (5.0, 10.0), (0.5, 0.8), (12, 16), "heldout"),
    GoodsTemplate("wooden furniture", "9403", {"cellulose": 0.9, "steel": 0.1},
                  "layers", (2.0, 6.0), (0.5, 0.9), (8, 20)),
    GoodsTemplate("flat-pack furniture", "9403", {"cellulose": 0.85, "steel": 0.05, "polyethylene": 0.1},
                  "grid", (2.0, 5.0), (0.6, 0.9), (20, 40)),
    GoodsTemplate("chairs", "9403", {"cellulose": 0.6, "steel": 0.2, "polyethylene": 0.2},
                  "scatter", (1.0, 4.0), (0.4, 0.7), (14, 24), "heldout"),
    GoodsTemplate("bolts and screws", "7318", {"steel": 0.9, "cellulose": 0.1}, "bulk", (0.5, 2.5), (0.4, 0.8), (4, 8)),
    GoodsTemplate("boxed fasteners", "7318", {"steel": 0.85, "cellulose": 0.15},
                  "grid", (0.8, 3.0), (0.5, 0.8), (12, 20)),
    GoodsTemplate("fasteners in drums", "7318", {"steel": 0.8, "polyethylene": 0.2},
                  "cylinders", (1.0, 3.0), (0.5, 0.8), (14, 20), "heldout"),
    GoodsTemplate("plastic household", "3924", {"polyethylene": 0.95, "aluminium": 0.05},
                  "scatter", (0.5, 2.5), (0.4, 0.8), (10, 24)),
    GoodsTemplate("plastic crates", "3924", {"polyethylene": 1.0}, "grid", (0.8, 3.0), (0.5, 0.8), (16, 30)),
    GoodsTemplate("plastic film rolls", "3924", {"polyethylene": 1.0},
                  "cylinders", (2.0, 6.0), (0.5, 0.8), (12, 18), "heldout"),
    GoodsTemplate("cane sugar sacks", "1701", {"sugar": 0.95, "polyethylene": 0.05},
                  "bulk", (3.0, 9.0), (0.6, 0.95), (12, 24)),
    GoodsTemplate("sugar cubes boxed", "1701", {"sugar": 0.85, "cellulose": 0.15},
                  "grid", (2.0, 7.0), (0.6, 0.9), (12, 22)),
    GoodsTemplate("sugar bags", "1701", {"sugar": 0.9, "polyethylene": 0.1},
                  "layers", (2.0, 8.0), (0.6, 0.9), (8, 16), "heldout"),
    GoodsTemplate("books", "4901", {"cellulose": 1.0}, "grid", (2.0, 6.0), (0.5, 0.9), (12, 24)),
    GoodsTemplate("magazines", "4901", {"cellulose": 0.95, "polyethylene": 0.05},
                  "layers", (1.5, 5.0), (0.6, 0.9), (6, 12)),
    GoodsTemplate("printed cartons", "4901", {"cellulose": 1.0},
                  "scatter", (1.0, 4.0), (0.4, 0.8), (14, 26), "heldout"),
    GoodsTemplate("hand tools", "8205", {"steel": 0.7, "polyethylene": 0.3},
                  "scatter", (0.6, 2.5), (0.3, 0.6), (10, 22)),
    GoodsTemplate("tool cases", "8205", {"steel": 0.5, "polyethylene": 0.4, "aluminium": 0.1},
                  "grid", (0.8, 3.0), (0.4, 0.7), (18, 30)),
    GoodsTemplate("garden tools", "8205", {"steel": 0.5, "cellulose": 0.5},
                  "layers", (0.6, 2.5), (0.4, 0.7), (6, 12), "heldout"),
    GoodsTemplate("copper wire", "7408", {"copper": 0.8, "polyethylene": 0.2},
                  "cylinders", (1.0, 4.0), (0.4, 0.8), (10, 18)),
    GoodsTemplate("copper coils boxed", "7408", {"copper": 0.7, "cellulose": 0.3},
                  "grid", (1.0, 3.5), (0.4, 0.7), (14, 24)),
    GoodsTemplate("copper bars", "7408", {"copper": 0.9, "cellulose": 0.1},
                  "layers", (0.8, 3.0), (0.4, 0.7), (5, 10), "heldout"),
)
HS_CLASSES: tuple[str, ...] = tuple(sorted({t.hs for t in TEMPLATES}))
TEXTURES = {"train": ("smooth", "granular", "striped"), "heldout": ("cellular", "diagonal")}
KINDS = {"parcel": (128, 128, 0.2), "bag": (128, 160, 0.25), "container": (128, 224, 2.0)}  # rows, cols, cm/px


@dataclass
class Threat:
    category: str
    box: tuple  # (row0, col0, row1, col1), pixels, end exclusive
    difficulty: str = "easy"
    contrast: float = 0.0
    mass_kg: float = 0.0


@dataclass
class Scene:
    areal: np.ndarray  # (materials, rows, cols) g/cm^2
    kind: str
    template: str
    hs: str
    pixel_cm: float
    settings: ScannerSettings
    threats: list = field(default_factory=list)
    masks: list = field(default_factory=list)  # boolean mask per threat
    tare_kg: float = 0.0  # the transport unit's own mass (a container's plate), not part of the declared goods
    goods_kg: float = 0.0  # everything but the tare and the concealments
    declared_hs: str = ""
    declared_kg: float = 0.0
    misdeclared: bool = False  # the declaration does not match the goods (class or mass)

    @property
    def total_kg(self) -> float:
        return float(self.areal.sum() * self.pixel_cm**2 / 1000.0)


# ---- settings ----------------------------------------------------------------------------------------------------

SETTINGS_SPACE = {
    "train": {"kvp": (140.0, 160.0), "filter_al_mm": (2.0, 4.0, 6.0), "filter_cu_mm": (0.0,),
              "photons": (2.0e4, 8.0e4), "blur_px": (0.5, 1.0), "bits": (14, 16), "electronic_noise": (1e-4, 5e-4),
              "gain_jitter": (0.001, 0.004)},
    "heldout": {"kvp": (130.0, 180.0), "filter_al_mm": (3.0, 8.0), "filter_cu_mm": (0.0, 0.3),
                "photons": (1.2e4, 2.0e4), "blur_px": (1.0, 1.4), "bits": (12,), "electronic_noise": (5e-4, 1e-3),
                "gain_jitter": (0.004, 0.008)},
}


def draw_settings(rng: np.random.Generator, split: str = "train") -> ScannerSettings:
    space = SETTINGS_SPACE[split]
    return ScannerSettings(
        kvp=float(rng.choice(space["kvp"])), filter_al_mm=float(rng.choice(space["filter_al_mm"])),
        filter_cu_mm=float(rng.choice(space["filter_cu_mm"])),
        photons=float(np.exp(rng.uniform(*np.log(space["photons"])))), blur_px=float(rng.uniform(*space["blur_px"])),
        bits=int(rng.choice(space["bits"])), electronic_noise=float(rng.uniform(*space["electronic_noise"])),
        gain_jitter=float(rng.uniform(*space["gain_jitter"])))


# ---- drawing helpers ---------------------------------------------------------------------------------------------


def _grid(rows: int, cols: int):
    return np.mgrid[0:rows, 0:cols].astype(np.float32)


def _ellipse(shape, r0, c0, ra, rb, angle=0.0):
    rr, cc = _grid(*shape)
    y, x = rr - r0, cc - c0
    ca, sa = np.cos(angle), np.sin(angle)
    u, v = x * ca + y * sa, -x * sa + y * ca
    inside = (u / max(ra, 0.5)) ** 2 + (v / max(rb, 0.5)) ** 2
    # a cylinder/ellipsoid's path length: thickest in the middle
    return np.sqrt(np.clip(1.0 - inside, 0.0, 1.0))


def _rect(shape, r0, c0, h, w, angle=0.0):
    rr, cc = _grid(*shape)
    y, x = rr - r0, cc - c0
    ca, sa = np.cos(angle), np.sin(angle)
    u, v = x * ca + y * sa, -x * sa + y * ca
    return ((np.abs(u) <= w / 2) & (np.abs(v) <= h / 2)).astype(np.float32)


def _texture(rng, shape, name: str) -> np.ndarray:
    """A multiplicative texture around 1."""
    if name == "smooth":
        t = ndimage.gaussian_filter(rng.normal(size=shape), 6) * 8
    elif name == "granular":
        t = ndimage.gaussian_filter(rng.normal(size=shape), 0.8) * 0.9
    elif name == "striped":
        t = np.sin(_grid(*shape)[0] * rng.uniform(0.5, 1.2)) * 0.7
    elif name == "cellular":
        t = (ndimage.gaussian_filter(rng.normal(size=shape), 2.5) > 0).astype(float) * 1.4 - 0.7
    else:  # diagonal
        g = _grid(*shape)
        t = np.sin((g[0] + g[1]) * rng.uniform(0.4, 0.9)) * 0.7
    return np.clip(1.0 + 0.25 * t, 0.4, 1.6).astype(np.float32)


def _add(areal, mixture: dict, amount: np.ndarray):
    for name, share in mixture.items():
        areal[INDEX[name]] += amount * share


# ---- transport units and goods -----------------------------------------------------------------------------------


def _unit(rng, kind: str, shape) -> tuple[np.ndarray, tuple, float]:
    """The parcel box, bag or container walls; returns its areal map, the interior box and its tare (g/cm^2 sum)."""
    rows, cols = shape
    areal = np.zeros((M, rows, cols), np.float32)
    if kind == "parcel":
        r0, c0 = rng.integers(4, 14, 2)
        r1, c1 = rows - rng.integers(4, 14), cols - rng.integers(4, 14)
        wall = rng.uniform(0.15, 0.35)
        box = np.zeros(shape, np.float32)
        box[r0:r1, c0:c1] = wall * 0.3
        box[r0:r0 + 2, c0:c1] = box[r1 - 2:r1, c0:c1] = wall * 6
        box[r0:r1, c0:c0 + 2] = box[r0:r1, c1 - 2:c1] = wall * 6
        _add(areal, {"cellulose": 1.0}, box)
        inner = (r0 + 3, c0 + 3, r1 - 3, c1 - 3)
        tare = 0.0
    elif kind == "bag":
        r0, c0 = rng.integers(6, 16, 2)
        r1, c1 = rows - rng.integers(6, 16), cols - rng.integers(6, 16)
        shell = np.zeros(shape, np.float32)
        shell[r0:r1, c0:c1] = rng.uniform(0.1, 0.3)
        _add(areal, {"polyethylene": 1.0}, shell)
        rods = np.zeros(shape, np.float32)
        for c in (c0 + rng.integers(4, 10), c1 - rng.integers(4, 10)):
            rods[r0:r1, c:c + 2] = rng.uniform(0.6, 1.4)
        _add(areal, {"aluminium": 1.0}, rods)
        inner = (r0 + 3, c0 + 3, r1 - 3, c1 - 3)
        tare = 0.0
    else:  # container section: corrugated steel sides, roof and floor rails, wooden floor
        walls = np.full(shape, rng.uniform(0.8, 1.6), np.float32)
        walls *= 1.0 + 0.25 * (np.sin(_grid(*shape)[1] * rng.uniform(0.3, 0.6)) > 0)
        walls[:4] += rng.uniform(2.0, 3.5)
        walls[-6:] += rng.uniform(2.0, 3.5)
        _add(areal, {"steel": 1.0}, walls)
        floor = np.zeros(shape, np.float32)
        floor[-12:-6] = rng.uniform(2.0, 4.0)
        _add(areal, {"cellulose": 1.0}, floor)
        inner = (6, 4, rows - 13, cols - 4)
        tare = float(areal.sum())
    return areal, inner, tare


def _goods(rng, template: GoodsTemplate, shape, inner, texture: str) -> np.ndarray:
    rows, cols = shape
    r0, c0, r1, c1 = inner
    amount = np.zeros(shape, np.float32)
    fill = rng.uniform(*template.fill)
    lo, hi = template.areal
    size = rng.uniform(*template.item_px)
    if template.pattern == "grid":
        h, w = size * rng.uniform(0.7, 1.0), size * rng.uniform(0.8, 1.3)
        gap = rng.uniform(1, 4)
        for r in np.arange(r0 + h / 2, r1 - h / 2 + 1, h + gap):
            for c in np.arange(c0 + w / 2, c1 - w / 2 + 1, w + gap):
                if rng.random() < fill:
                    amount += _rect(shape, r, c, h, w) * rng.uniform(lo, hi)
    elif template.pattern == "cylinders":
        rad = size / 2
        for r in np.arange(r0 + rad, r1 - rad + 1, 2 * rad + 1):
            for c in np.arange(c0 + rad, c1 - rad + 1, 2 * rad + 1):
                if rng.random() < fill:
                    disc = _ellipse(shape, r, c, rad, rad)
                    amount += (0.5 * disc + 0.5 * (disc > 0)) * rng.uniform(lo, hi)
    elif template.pattern == "scatter":
        area = (r1 - r0) * (c1 - c0)
        for _ in range(int(fill * area / (size * size * 0.6)) + 1):
            r, c = rng.uniform(r0 + 4, r1 - 4), rng.uniform(c0 + 4, c1 - 4)
            a, b = size * rng.uniform(0.3, 0.6), size * rng.uniform(0.2, 0.5)
            shape_fn = _ellipse if rng.random() < 0.5 else (lambda s, y, x, p, q, t: _rect(s, y, x, 2 * q, 2 * p, t))
            amount += (shape_fn(shape, r, c, a, b, rng.uniform(0, np.pi)) > 0) * rng.uniform(lo, hi)
    elif template.pattern == "layers":
        r = r0
        while r < r1:
            h = rng.uniform(size * 0.6, size)
            if rng.random() < fill:
                amount[int(r):int(min(r + h, r1)), c0:c1] += rng.uniform(lo, hi)
            r += h + rng.uniform(0, 2)
    else:  # bulk: a heap filling the bottom of the interior
        top = r1 - fill * (r1 - r0)
        profile = top + ndimage.gaussian_filter1d(rng.normal(size=cols), 8) * 20
        rr = _grid(*shape)[0]
        heap = (rr >= profile[None, :]) & (rr < r1)
        heap[:, :c0] = False
        heap[:, c1:] = False
        amount += heap * rng.uniform(lo, hi)
        grains = ndimage.gaussian_filter(rng.normal(size=shape), size / 6) * 0.5 + 1.0
        amount *= np.clip(grains, 0.4, 1.6)
    amount[:r0] = 0
    amount[r1:] = 0
    amount[:, :c0] = 0
    amount[:, c1:] = 0
    return amount * _texture(rng, shape, texture)


# ---- concealments ------------------------------------------------------------------------------------------------


def _threat(rng, category: str, shape, inner, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """A concealed item: its areal map (materials, rows, cols) and its mask. ``scale`` converts centimetres of the
    item to pixels of the image (parcels 5 px/cm, containers 0.5 px/cm: items are drawn larger than life in
    containers so that they cover a few cells)."""
    rows, cols = shape
    r0, c0, r1, c1 = inner
    out = np.zeros((M, rows, cols), np.float32)
    size = rng.uniform(14, 26) * scale
    r = rng.uniform(r0 + size / 2 + 2, max(r0 + size / 2 + 3, r1 - size / 2 - 2))
    c = rng.uniform(c0 + size / 2 + 2, max(c0 + size / 2 + 3, c1 - size / 2 - 2))
    angle = rng.uniform(0, np.pi)
    if category == "drugs":
        n = int(rng.integers(1, 4))
        h, w = size * rng.uniform(0.45, 0.7), size * rng.uniform(0.6, 0.9)
        drug = "cocaine" if rng.random() < 0.6 else "heroin"
        mask = np.zeros(shape, bool)
        for i in range(n):
            brick = _rect(shape, r + (i - (n - 1) / 2) * h * 0.95 * np.cos(angle), c - (i - (n - 1) / 2) * h * 0.95
                          * np.sin(angle), h * 0.9, w, angle)
            _add(out, {drug: 1.0}, brick * rng.uniform(2.5, 7.0))
            _add(out, {"polyethylene": 1.0}, brick * 0.15)
            mask |= brick > 0
    elif category == "weapon":
        if rng.random() < 0.65:  # handgun: slide/barrel and grip
            barrel = _rect(shape, r - size * 0.15, c, size * 0.22, size * 0.9, angle)
            ca, sa = np.cos(angle), np.sin(angle)
            gr, gc = r + size * 0.15 * ca + size * 0.3 * sa, c - size * 0.3 * ca + size * 0.15 * sa
            grip = _rect(shape, gr, gc, size * 0.5, size * 0.22, angle + 0.25)
            _add(out, {"steel": 1.0}, np.clip(barrel + grip * 0.7, 0, 1) * rng.uniform(1.5, 3.5))
            _add(out, {"polyethylene": 1.0}, grip * 0.6)
            mask = (barrel + grip) > 0
        else:  # knife: a thin long blade and an organic handle
            blade = _rect(shape, r, c, size * 0.12, size * 0.8, angle)
            handle = _rect(shape, r + np.sin(angle) * size * 0.55, c + np.cos(angle) * size * 0.55, size * 0.16,
                           size * 0.35, angle)
            _add(out, {"steel": 1.0}, blade * rng.uniform(0.8, 2.0))
            _add(out, {"polyethylene": 1.0}, handle * 1.5)
            mask = (blade + handle) > 0
    elif category == "ivory":
        t = np.linspace(-1, 1, 40)
        mask = np.zeros(shape, bool)
        body = np.zeros(shape, np.float32)
        bend = rng.uniform(0.2, 0.5)
        for k in t:
            rr = r + k * size * 0.5 * np.sin(angle) + bend * size * (1 - k * k) * 0.3
            cc = c + k * size * 0.5 * np.cos(angle)
            rad = size * 0.12 * (1.2 - 0.5 * (k + 1) / 2)
            body = np.maximum(body, _ellipse(shape, rr, cc, rad, rad))
        mask = body > 0
        tusk = rng.random() < 0.6
        _add(out, {"hydroxyapatite": 0.75, "keratin": 0.25} if tusk else {"keratin": 0.9, "hydroxyapatite": 0.1},
             body * rng.uniform(4.0, 9.0))
    elif category == "cash":
        n = int(rng.integers(2, 5))
        h, w = size * 0.35, size * 0.8
        mask = np.zeros(shape, bool)
        for i in range(n):
            bundle = _rect(shape, r + (i - (n - 1) / 2) * h * np.cos(angle), c - (i - (n - 1) / 2) * h
                           * np.sin(angle), h * 0.95, w, angle)
            stripes = 1.0 + 0.15 * np.sin(_grid(*shape)[1] * 1.3)
            _add(out, {"cellulose": 1.0}, bundle * stripes * rng.uniform(3.0, 7.0))
            mask |= bundle > 0
    elif category == "animal":
        kind = rng.choice(["snake", "bird", "turtle"])
        if kind == "snake":
            t = np.linspace(0, 1, 50)
            body = np.zeros(shape, np.float32)
            spine = np.zeros(shape, np.float32)
            for k in t:
                rr = r + (k - 0.5) * size * np.sin(angle) + np.sin(k * 9) * size * 0.12
                cc = c + (k - 0.5) * size * np.cos(angle)
                body = np.maximum(body, _ellipse(shape, rr, cc, size * 0.07 + 1, size * 0.07 + 1))
                spine = np.maximum(spine, _ellipse(shape, rr, cc, 1.0, 1.0))
            _add(out, {"water": 1.0}, body * rng.uniform(1.5, 4.0))
            _add(out, {"hydroxyapatite": 1.0}, spine * 0.5)
        elif kind == "bird":  # in a plastic tube
            tube = _rect(shape, r, c, size * 0.3, size, angle)
            body = _ellipse(shape, r, c, size * 0.35, size * 0.12, angle)
            bones = _ellipse(shape, r, c, size * 0.3, 1.2, angle)
            _add(out, {"polyethylene": 1.0}, tube * 0.5)
            _add(out, {"water": 1.0}, body * rng.uniform(2.0, 4.0))
            _add(out, {"hydroxyapatite": 1.0}, bones * 0.6)
            body = tube
        else:  # turtle: keratin and bone shell around tissue
            body = _ellipse(shape, r, c, size * 0.35, size * 0.28, angle)
            _add(out, {"water": 1.0}, body * rng.uniform(2.0, 4.0))
            _add(out, {"hydroxyapatite": 0.6, "keratin": 0.4}, ((body > 0) & (body < 0.5)) * 2.0 + (body > 0) * 0.4)
        mask = body > 0
    else:  # compartment: a false wall (steel or aluminium sheet) with drugs behind it
        h, w = size * 0.7, size * 1.1
        plate = _rect(shape, r, c, h, w, 0.0)
        inside = _rect(shape, r, c, h * 0.8, w * 0.85, 0.0)
        _add(out, {("steel" if rng.random() < 0.5 else "aluminium"): 1.0}, plate * rng.uniform(0.6, 1.8))
        _add(out, {("cocaine" if rng.random() < 0.5 else "cash" if False else "heroin"): 1.0},
             inside * rng.uniform(2.0, 6.0))
        mask = plate > 0
    return out, mask


def _box(mask: np.ndarray) -> tuple:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def contrast(before: np.ndarray, after: np.ndarray, mask: np.ndarray) -> float:
    """The threat's signal against the clutter around it: mean added high-energy attenuation inside the mask over
    the spread of the scene's attenuation in a ring around it (noise-free)."""
    delta = float((after - before)[mask].mean())
    ring = ndimage.binary_dilation(mask, iterations=6) & ~mask
    clutter = float(np.std(before[ring | mask])) if ring.any() else 0.0
    return delta / (clutter + 0.03)


def difficulty(c: float) -> str:
    return "easy" if c >= 4.0 else "hard" if c >= 1.5 else "hidden"


# ---- scenes ------------------------------------------------------------------------------------------------------


def generate(rng: np.random.Generator, split: str = "train", threat_rate: float = 0.5,
             misdeclare_rate: float = 0.15, settings_split: str | None = None, kind: str | None = None) -> Scene:
    """One scene: a transport unit with declared goods, maybe concealments, its declaration and its scanner."""
    templates = [t for t in TEMPLATES if t.split == split]
    template = templates[rng.integers(len(templates))]
    kind = kind or str(rng.choice(list(KINDS), p=[0.4, 0.3, 0.3]))
    rows, cols, pixel_cm = KINDS[kind]
    shape = (rows, cols)
    areal, inner, tare = _unit(rng, kind, shape)
    texture = str(rng.choice(TEXTURES[split]))
    goods = _goods(rng, template, shape, inner, texture)
    _add(areal, template.materials, goods)
    settings = draw_settings(rng, settings_split or split)
    scale = 1.0 if kind != "container" else 1.3
    scene = Scene(areal=areal, kind=kind, template=template.name, hs=template.hs, pixel_cm=pixel_cm,
                  settings=settings, tare_kg=tare * pixel_cm**2 / 1000.0)
    scene.goods_kg = scene.total_kg - scene.tare_kg
    if rng.random() < threat_rate:
        n = 1 if rng.random() < 0.8 else 2
        for category in rng.choice(THREATS, size=n, replace=False):
            item, mask = _threat(rng, str(category), shape, inner, scale)
            if not mask.any():
                continue
            if any((mask & other).any() for other in scene.masks):
                continue
            r0, c0, r1, c1 = _box(mask)
            crop = (slice(None), slice(max(r0 - 8, 0), r1 + 8), slice(max(c0 - 8, 0), c1 + 8))
            before = -np.log(transmission(scene.areal[crop], settings)[1])
            scene.areal = scene.areal + item
            after = -np.log(transmission(scene.areal[crop], settings)[1])
            c = contrast(before, after, mask[crop[1:]])
            mass = float(item.sum() * pixel_cm**2 / 1000.0)
            scene.threats.append(Threat(str(category), _box(mask), difficulty(c), round(c, 3), mass))
            scene.masks.append(mask)
    # the declaration: honest, or misdescribed goods, or under-declared mass
    scene.declared_hs, scene.declared_kg = scene.hs, scene.goods_kg * float(rng.normal(1.0, 0.04))
    if rng.random() < misdeclare_rate:
        scene.misdeclared = True
        if rng.random() < 0.5:
            others = [h for h in HS_CLASSES if h != scene.hs]
            scene.declared_hs = str(others[rng.integers(len(others))])
        else:
            scene.declared_kg = scene.goods_kg * float(rng.uniform(0.35, 0.65))
    return scene


def threat_mask(scene: Scene) -> np.ndarray:
    out = np.zeros(scene.areal.shape[1:], bool)
    for mask in scene.masks:
        out |= mask
    return out
