"""From the two recorded images to material maps: log attenuations, Z_eff, areal density, material groups, the
estimated mass and the pseudo-colour picture."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartcustoms.nii.physics import OPAQUE_H, ScannerSettings, calibration, group_of_z, log_attenuation, pseudo_colour


@dataclass
class Decomposition:
    lo: np.ndarray  # -ln T, low channel
    hi: np.ndarray  # -ln T, high channel
    z: np.ndarray  # Z_eff (0 in air)
    areal: np.ndarray  # g/cm^2
    group: np.ndarray  # 0 organic, 1 inorganic, 2 metal, -1 air, 3 opaque

    @property
    def opaque(self) -> np.ndarray:
        return self.hi >= OPAQUE_H


AIR_H = 0.03


def decompose(low: np.ndarray, high: np.ndarray, settings: ScannerSettings) -> Decomposition:
    lo, hi = log_attenuation(low, high, settings.bits)
    z, areal = calibration(settings).lookup(lo, hi)
    air = hi < AIR_H
    z = np.where(air, 0.0, z)
    areal = np.where(air, 0.0, areal)
    group = np.where(air, -1, group_of_z(z)).astype(np.int8)
    group = np.where(hi >= OPAQUE_H, 3, group).astype(np.int8)
    return Decomposition(lo=lo, hi=hi, z=z, areal=areal, group=group)


def mass_kg(dec: Decomposition, pixel_cm: float) -> float:
    """Estimated mass of what was scanned, from the dual-energy inversion (areal density times pixel area)."""
    return float(dec.areal.sum() * pixel_cm**2 / 1000.0)


def group_masses(dec: Decomposition, pixel_cm: float) -> np.ndarray:
    """Estimated mass (kg) of organic, inorganic, metal, and the share of the image too dense to analyse."""
    out = [float(dec.areal[dec.group == g].sum() * pixel_cm**2 / 1000.0) for g in (0, 1, 2)]
    return np.array([*out, float(dec.opaque.mean())])


def colour(dec: Decomposition) -> np.ndarray:
    return pseudo_colour(dec.z, dec.hi)
