"""Dual-energy X-ray physics: materials from xraydb, tube spectra from SpekPy, a sandwich detector, noise, blur,
gain jitter and quantisation; Z_eff and areal density by a 2-D look-up calibrated on simulated step wedges.

Nothing here re-derives what the libraries compute: mass attenuation coefficients come from ``xraydb.material_mu``
(Elam tables), tube spectra from ``spekpy.Spek`` (filtered, per kVp). What is ours is the imaging chain around them
(Beer-Lambert over the energy grid, the detector's two layers, the noise model) and the calibration.

Conventions: images are (rows, columns) = (detector element, scan line); a scene is a stack of per-material areal
densities in g/cm^2 (mass thickness), so the mass of what is scanned is the sum of areal density times pixel area.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import xraydb
from scipy import ndimage

# ---- materials ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Material:
    name: str
    formula: str  # chemical formula as xraydb reads it
    density: float  # g/cm^3
    group: str  # organic | inorganic | metal (the colour class an operator expects)


MATERIALS: tuple[Material, ...] = (
    Material("polyethylene", "C2H4", 0.94, "organic"),
    Material("water", "H2O", 1.0, "organic"),
    Material("cellulose", "C6H10O5", 1.5, "organic"),
    Material("sugar", "C12H22O11", 1.59, "organic"),
    Material("keratin", "C4.2H7N1.18O1.38S0.125", 1.3, "organic"),
    Material("cocaine", "C17H21NO4", 1.2, "organic"),
    Material("heroin", "C21H23NO5", 1.35, "organic"),
    Material("hydroxyapatite", "Ca5P3O13H", 3.16, "inorganic"),
    Material("aluminium", "Al", 2.70, "inorganic"),
    Material("glass", "Si1.2Na0.45Ca0.18Mg0.1O2.9", 2.5, "inorganic"),
    Material("steel", "Fe", 7.87, "metal"),
    Material("copper", "Cu", 8.96, "metal"),
    Material("lead", "Pb", 11.35, "metal"),
)
NAMES: tuple[str, ...] = tuple(m.name for m in MATERIALS)
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}
GROUPS = ("organic", "inorganic", "metal")

# Energy grid of the simulation, keV (bin centres, 2 keV wide): SpekPy's spectra are put on it.
ENERGY_KEV = np.arange(11.0, 250.0, 2.0)


def material(name: str) -> Material:
    return MATERIALS[INDEX[name]]


def mass_attenuation(name_or_formula: str, energy_kev, density: float | None = None) -> np.ndarray:
    """Mass attenuation coefficient mu/rho (cm^2/g) of a library material (or a formula with its density), from
    xraydb's ``material_mu`` (total: photo-electric, coherent and incoherent)."""
    if name_or_formula in INDEX:
        m = material(name_or_formula)
        formula, density = m.formula, m.density
    else:
        formula = name_or_formula
        if density is None:
            raise ValueError("a formula needs its density")
    energy_ev = np.asarray(energy_kev, dtype=float) * 1000.0
    return np.asarray(xraydb.material_mu(formula, energy_ev, density=density)) / density


@lru_cache(maxsize=1)
def attenuation_table() -> np.ndarray:
    """mu/rho of every library material on the simulation's energy grid: shape (materials, energies)."""
    return np.stack([mass_attenuation(name, ENERGY_KEV) for name in NAMES]).astype(np.float64)


def z_effective(formula: str, exponent: float = 2.94) -> float:
    """The conventional power-law effective atomic number (electron-fraction weighted), element data from xraydb."""
    counts = xraydb.chemparse(formula)
    z = np.array([xraydb.atomic_number(el) for el in counts])
    n = np.array(list(counts.values()), dtype=float)
    electrons = n * z
    fractions = electrons / electrons.sum()
    return float((fractions * z**exponent).sum() ** (1.0 / exponent))


# ---- scanner -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScannerSettings:
    """One scan's settings: tube, filtration, dose, detector and digitisation."""

    kvp: float = 160.0
    filter_al_mm: float = 4.0
    filter_cu_mm: float = 0.0
    photons: float = 4.0e4  # photons per pixel per channel in air (sets the Poisson noise)
    electronic_noise: float = 3.0e-4  # standard deviation, as a fraction of the air signal
    blur_px: float = 0.7  # Gaussian blur (focal spot and detector), pixels
    gain_jitter: float = 0.004  # residual per-element gain error after flat-fielding
    bits: int = 14  # 12 to 16
    front_csi_mm: float = 0.3  # the low-energy layer
    middle_cu_mm: float = 0.5  # the filter between the two layers
    rear_csi_mm: float = 3.0  # the high-energy layer

    def key(self) -> tuple:
        """What the calibration depends on (the spectra and the detector, not the noise)."""
        return (round(self.kvp, 1), round(self.filter_al_mm, 2), round(self.filter_cu_mm, 2),
                round(self.front_csi_mm, 3), round(self.middle_cu_mm, 3), round(self.rear_csi_mm, 3))

    def as_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=64)
def tube_spectrum(kvp: float, filter_al_mm: float, filter_cu_mm: float, anode_angle: float = 12.0) -> np.ndarray:
    """Photon fluence per keV from SpekPy (tungsten anode), filtered, on ENERGY_KEV; normalised to sum 1."""
    import spekpy

    spek = spekpy.Spek(kvp=float(kvp), th=anode_angle, dk=1.0)
    if filter_al_mm > 0:
        spek.filter("Al", float(filter_al_mm))
    if filter_cu_mm > 0:
        spek.filter("Cu", float(filter_cu_mm))
    k, fluence = spek.get_spectrum()
    spectrum = np.interp(ENERGY_KEV, k, fluence, left=0.0, right=0.0)
    return spectrum / spectrum.sum()


@lru_cache(maxsize=64)
def _channel_weights(key: tuple) -> np.ndarray:
    """Energy weights of the (low, high) channels of the sandwich detector: shape (2, energies).

    Energy-integrating layers: each photon of energy E absorbed in a layer adds E to its signal. The front layer
    sees the whole spectrum; the rear one what passes the front layer and the copper between them."""
    kvp, al, cu, front, middle, rear = key
    spectrum = tube_spectrum(kvp, al, cu)
    mu_csi = mass_attenuation("CsI", ENERGY_KEV, density=4.51) * 4.51  # 1/cm
    mu_cu = mass_attenuation("copper", ENERGY_KEV) * material("copper").density
    front_abs = 1.0 - np.exp(-mu_csi * front / 10.0)
    between = np.exp(-mu_csi * front / 10.0) * np.exp(-mu_cu * middle / 10.0)
    rear_abs = 1.0 - np.exp(-mu_csi * rear / 10.0)
    low = spectrum * ENERGY_KEV * front_abs
    high = spectrum * ENERGY_KEV * between * rear_abs
    return np.stack([low / low.sum(), high / high.sum()])


def transmission(areal: np.ndarray, settings: ScannerSettings) -> np.ndarray:
    """Noise-free transmitted fraction of each channel: areal (materials, rows, cols) g/cm^2 -> (2, rows, cols).

    Beer-Lambert over the energy grid: T_c = sum_E w_c(E) exp(-sum_m mu_m(E) a_m)."""
    areal = np.asarray(areal, dtype=np.float64)
    m, rows, cols = areal.shape
    table = attenuation_table()[:m]
    weights = _channel_weights(settings.key())
    used = weights.max(axis=0) > 1e-4 * weights.max()
    line = (areal.reshape(m, -1).T @ table[:, used]).astype(np.float32)  # (pixels, energies)
    np.negative(line, out=line)
    np.exp(line, out=line)
    out = line @ weights[:, used].T.astype(np.float32)  # (pixels, 2)
    out = out.astype(np.float64)
    return out.T.reshape(2, rows, cols)


def detect(areal: np.ndarray, settings: ScannerSettings, rng: np.random.Generator | None) -> np.ndarray:
    """The two images a scanner records (uint16, air = 2**bits - 1): blur, Poisson and electronic noise, gain
    jitter per detector element, quantisation. With ``rng`` None: noise-free (still blurred and quantised)."""
    clean = transmission(areal, settings)
    if settings.blur_px > 0:
        clean = np.stack([ndimage.gaussian_filter(ch, settings.blur_px, mode="nearest") for ch in clean])
    signal = clean
    if rng is not None:
        counts = rng.poisson(np.clip(clean, 0, None) * settings.photons) / settings.photons
        counts = counts + rng.normal(0.0, settings.electronic_noise, counts.shape)
        gain = 1.0 + rng.normal(0.0, settings.gain_jitter, (2, counts.shape[1], 1))
        signal = counts * gain
    top = 2 ** int(settings.bits) - 1
    return np.clip(np.rint(signal * top), 1, top).astype(np.uint16)


def log_attenuation(low: np.ndarray, high: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """-ln(T) of both channels from recorded images (air = 2**bits - 1)."""
    top = float(2 ** int(bits) - 1)
    lo = -np.log(np.clip(low.astype(np.float64), 1.0, top) / top)
    hi = -np.log(np.clip(high.astype(np.float64), 1.0, top) / top)
    return lo, hi


# ---- calibration: Z_eff and areal density from step wedges --------------------------------------------------------

# Step-wedge materials (formula, density); their Z_eff by the power law.
WEDGES: tuple[tuple[str, float], ...] = (
    ("C2H4", 0.94), ("C", 2.0), ("H2O", 1.0), ("Mg", 1.74), ("Al", 2.70), ("Si", 2.33), ("Ca", 1.55),
    ("Ti", 4.5), ("Fe", 7.87), ("Cu", 8.96),
)
# Valid for Z <= 30: above the K-edges of the heavy elements (Pb: 88 keV) the ratio folds back (lead reads like
# aluminium), as on real kV scanners; lead thick enough to matter is opaque and flagged as such.
H_EDGES = np.geomspace(0.01, 7.0, 161)  # high-channel attenuation bins
R_EDGES = np.linspace(0.8, 4.0, 257)  # low/high ratio bins
Z_GRID = np.linspace(4.0, 82.0, 157)
ORGANIC_MAX_Z, INORGANIC_MAX_Z = 10.0, 18.0
OPAQUE_H = 6.5  # beyond this the high channel has (nearly) nothing left: too dense to analyse


def group_of_z(z: np.ndarray) -> np.ndarray:
    """0 organic, 1 inorganic (mixed), 2 metal."""
    return np.digitize(z, [ORGANIC_MAX_Z, INORGANIC_MAX_Z]).astype(np.int8)


@dataclass
class Calibration:
    z_lut: np.ndarray  # (h bins, r bins) -> Z_eff
    mu_lut: np.ndarray  # (h bins, Z grid) -> effective mass attenuation of the high channel, cm^2/g
    curves: dict  # formula -> (areal, h, ratio) of its wedge

    def lookup(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Z_eff and areal density (g/cm^2) per pixel from the two log attenuations."""
        h = np.clip(hi, H_EDGES[0], H_EDGES[-1] * 0.999)
        ratio = lo / np.maximum(hi, 1e-6)
        hb = np.clip(np.searchsorted(H_EDGES, h) - 1, 0, len(H_EDGES) - 2)
        rb = np.clip(np.searchsorted(R_EDGES, ratio) - 1, 0, len(R_EDGES) - 2)
        z = self.z_lut[hb, rb]
        zb = np.clip(np.searchsorted(Z_GRID, z), 0, len(Z_GRID) - 1)
        areal = np.where(hi > 0.005, hi / self.mu_lut[hb, zb], 0.0)
        return z, areal


@lru_cache(maxsize=32)
def _calibrate(key: tuple) -> Calibration:
    settings = ScannerSettings(*key[:3], front_csi_mm=key[3], middle_cu_mm=key[4], rear_csi_mm=key[5])
    weights = _channel_weights(settings.key())
    steps = np.geomspace(0.02, 400.0, 240)  # g/cm^2
    zs, curves = [], {}
    for formula, density in WEDGES:
        mu = mass_attenuation(formula, ENERGY_KEV, density=density)
        t = np.exp(-np.outer(steps, mu)) @ weights.T  # (steps, 2)
        lo, hi = -np.log(t[:, 0]), -np.log(t[:, 1])
        keep = (hi < OPAQUE_H) & (lo < 40.0)
        curves[formula] = (steps[keep], hi[keep], lo[keep] / hi[keep])
        zs.append(z_effective(formula))
    zs = np.array(zs)
    centres = np.sqrt(H_EDGES[:-1] * H_EDGES[1:])
    r_centres = (R_EDGES[:-1] + R_EDGES[1:]) / 2
    z_lut = np.zeros((len(centres), len(r_centres)))
    mu_lut = np.zeros((len(centres), len(Z_GRID)))
    for i, h in enumerate(centres):
        zz, rr, mm = [], [], []
        for z, (formula, _) in zip(zs, WEDGES):
            areal, hi, ratio = curves[formula]
            if len(hi) > 1 and hi[0] <= h <= hi[-1]:
                zz.append(z)
                rr.append(np.interp(h, hi, ratio))
                mm.append(h / np.interp(h, hi, areal))
        if len(zz) < 2:  # beyond the wedges' range: keep the last row
            z_lut[i], mu_lut[i] = z_lut[i - 1], mu_lut[i - 1]
            continue
        zz, rr, mm = np.array(zz), np.array(rr), np.array(mm)
        order = np.argsort(zz)
        zz, rr, mm = zz[order], np.maximum.accumulate(rr[order]), mm[order]
        z_lut[i] = np.interp(r_centres, rr + np.arange(len(rr)) * 1e-9, zz)
        mu_lut[i] = np.interp(Z_GRID, zz, mm)
    return Calibration(z_lut=z_lut, mu_lut=mu_lut, curves=curves)


def calibration(settings: ScannerSettings) -> Calibration:
    """The scanner's look-up tables for these settings (computed once, from noise-free step wedges)."""
    return _calibrate(settings.key())


# ---- pseudo-colour -----------------------------------------------------------------------------------------------

_COLOUR_Z = np.array([4.0, 8.0, 10.0, 14.0, 18.0, 26.0, 82.0])
_COLOUR_RGB = np.array([
    [255, 170, 40], [255, 140, 0], [200, 170, 0], [40, 170, 40], [40, 150, 170], [40, 90, 230], [20, 40, 200],
], dtype=float)


def pseudo_colour(z: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The operators' standard colouring: orange organic, green inorganic (mixed), blue metal; brightness from the
    high-energy transmission; black where too dense to analyse. Returns uint8 (rows, cols, 3)."""
    rgb = np.stack([np.interp(z, _COLOUR_Z, _COLOUR_RGB[:, c]) for c in range(3)], axis=-1)
    brightness = np.exp(-np.clip(hi, 0, None) * 0.6)[..., None]
    air = (hi < 0.02)[..., None]
    out = rgb * brightness
    out = np.where(air, 255.0, 0.25 * 255.0 * brightness + 0.75 * out)
    out = np.where((hi >= OPAQUE_H)[..., None], 0.0, out)
    return np.clip(out, 0, 255).astype(np.uint8)
