"""Physics: attenuation from xraydb, the dual-energy ratio's ordering, Z_eff classes on step wedges, colours."""

import numpy as np
import pytest
import xraydb

from smartcustoms.nii import physics
from smartcustoms.nii.physics import INDEX, NAMES, ScannerSettings

SETTINGS = ScannerSettings(kvp=160.0, filter_al_mm=4.0)


@pytest.mark.parametrize("name", NAMES)
def test_attenuation_equals_xraydb(name):
    m = physics.material(name)
    energies = np.array([20.0, 45.5, 80.0, 120.0, 150.0])
    expected = xraydb.material_mu(m.formula, energies * 1000, density=m.density) / m.density
    assert np.allclose(physics.mass_attenuation(name, energies), expected, rtol=0, atol=1e-6)
    table = physics.attenuation_table()[INDEX[name]]
    expected_grid = xraydb.material_mu(m.formula, physics.ENERGY_KEV * 1000, density=m.density) / m.density
    assert np.max(np.abs(table - expected_grid)) <= 1e-6


def _wedge(name: str, areal: np.ndarray) -> np.ndarray:
    out = np.zeros((len(NAMES), 1, len(areal)))
    out[INDEX[name], 0] = areal
    return out


def test_ratio_orders_organic_below_inorganic_below_metal_at_equal_high_attenuation():
    """At the same high-energy attenuation, the low/high ratio grows with Z (Z <= 30)."""
    calibration = physics.calibration(SETTINGS)
    order = ["C2H4", "H2O", "Mg", "Al", "Si", "Ca", "Ti", "Fe", "Cu"]
    for h in (0.1, 0.5, 1.0, 2.0, 4.0):
        ratios = []
        for formula in order:
            areal, hi, ratio = calibration.curves[formula]
            ratios.append(np.interp(h, hi, ratio))
        assert all(a < b for a, b in zip(ratios, ratios[1:])), (h, ratios)


def test_library_materials_render_with_ratio_by_group():
    """Slabs of the library's materials at about the same high-energy attenuation: every organic's ratio is below
    every inorganic's, and those below every metal's."""
    by_group = {"organic": [], "inorganic": [], "metal": []}
    for m in physics.MATERIALS:
        if m.name == "lead":  # above Z = 30: folds back at its K-edge (documented)
            continue
        areal = np.geomspace(0.01, 200, 400)
        t = physics.transmission(_wedge(m.name, areal), SETTINGS)
        lo, hi = -np.log(t[0, 0]), -np.log(t[1, 0])
        by_group[m.group].append(np.interp(1.0, hi, lo / hi))
    assert max(by_group["organic"]) < min(by_group["inorganic"])
    assert max(by_group["inorganic"]) < min(by_group["metal"])


def test_z_eff_class_accuracy_on_noisy_step_wedges_is_at_least_95_percent():
    rng = np.random.default_rng(0)
    calibration = physics.calibration(SETTINGS)
    noisy = ScannerSettings(kvp=160.0, filter_al_mm=4.0, photons=4e4, blur_px=0.0)
    right = total = 0
    for m in physics.MATERIALS:
        if m.name == "lead":
            continue
        steps = [a for a in np.geomspace(0.3, 80, 14)]
        image = np.zeros((len(NAMES), 16, 16 * len(steps)))
        for k, a in enumerate(steps):
            image[INDEX[m.name], :, 16 * k:16 * (k + 1)] = a
        low, high = physics.detect(image, noisy, rng)
        lo, hi = physics.log_attenuation(low, high, noisy.bits)
        for k in range(len(steps)):
            block = (slice(None), slice(16 * k, 16 * (k + 1)))
            h = hi[block].mean()
            if not 0.05 <= h <= 5.0:  # the calibrated range: neither air-thin nor opaque
                continue
            z, _ = calibration.lookup(np.array([lo[block].mean()]), np.array([h]))
            predicted = ("organic", "inorganic", "metal")[int(physics.group_of_z(z)[0])]
            right += predicted == m.group
            total += 1
    assert total > 100
    assert right / total >= 0.95, right / total


def test_areal_density_inversion_of_single_materials_within_15_percent():
    calibration = physics.calibration(SETTINGS)
    for name, areal in (("water", 5.0), ("aluminium", 3.0), ("steel", 2.0), ("cellulose", 8.0)):
        t = physics.transmission(_wedge(name, np.array([areal])), SETTINGS)
        _, estimated = calibration.lookup(-np.log(t[0]), -np.log(t[1]))
        assert abs(estimated[0, 0] / areal - 1) < 0.15, (name, estimated)


def test_quantisation_and_noise_of_the_recorded_images():
    air = np.zeros((len(NAMES), 40, 40))
    for bits in (12, 16):
        settings = ScannerSettings(bits=bits)
        low, high = physics.detect(air, settings, None)
        assert low.dtype == np.uint16 and low.max() == 2**bits - 1
    noisy_low, _ = physics.detect(air + 0, ScannerSettings(photons=1e3, bits=16), np.random.default_rng(1))
    assert noisy_low.std() > 0  # Poisson and electronic noise show in air


def test_pseudo_colour_is_orange_green_blue_by_class():
    z = np.array([[6.5, 13.0, 26.0]])
    rgb = physics.pseudo_colour(z, np.full_like(z, 0.5)).astype(int)[0]
    organic, inorganic, metal = rgb
    assert organic[0] > organic[1] > organic[2]  # orange: red > green > blue
    assert inorganic[1] > inorganic[0] and inorganic[1] > inorganic[2]  # green
    assert metal[2] > metal[0] and metal[2] > metal[1]  # blue
