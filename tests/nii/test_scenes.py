"""Scenes: reproducible, splits kept apart, concealments inside the image, difficulty from contrast."""

import numpy as np

from smartcustoms.nii import physics, scenes
from smartcustoms.nii.physics import INDEX, NAMES


def test_the_same_seed_gives_the_same_scene():
    a = scenes.generate(np.random.default_rng(4), threat_rate=1.0)
    b = scenes.generate(np.random.default_rng(4), threat_rate=1.0)
    assert np.array_equal(a.areal, b.areal) and a.threats == b.threats and a.settings == b.settings


def test_held_out_templates_textures_and_settings_are_never_in_training():
    train = {t.name for t in scenes.TEMPLATES if t.split == "train"}
    held = {t.name for t in scenes.TEMPLATES if t.split == "heldout"}
    assert held and not train & held
    assert {t.hs for t in scenes.TEMPLATES if t.split == "heldout"} == set(scenes.HS_CLASSES)
    assert not set(scenes.TEXTURES["train"]) & set(scenes.TEXTURES["heldout"])
    space = scenes.SETTINGS_SPACE
    assert not set(space["train"]["kvp"]) & set(space["heldout"]["kvp"])
    rng = np.random.default_rng(0)
    for _ in range(10):
        scene = scenes.generate(rng, split="heldout", threat_rate=0.0, kind="parcel")
        assert scene.template in held
        assert scene.settings.kvp in space["heldout"]["kvp"]


def test_concealments_lie_inside_the_image_and_their_boxes_frame_their_masks():
    rng = np.random.default_rng(1)
    seen = set()
    for _ in range(14):
        scene = scenes.generate(rng, threat_rate=1.0, kind="parcel")
        rows, cols = scene.areal.shape[1:]
        assert scene.threats
        for threat, mask in zip(scene.threats, scene.masks):
            r0, c0, r1, c1 = threat.box
            assert 0 <= r0 < r1 <= rows and 0 <= c0 < c1 <= cols
            assert mask[r0:r1, c0:c1].sum() == mask.sum() > 0
            assert threat.difficulty in scenes.DIFFICULTIES
            assert threat.difficulty == scenes.difficulty(threat.contrast)
            seen.add(threat.category)
    assert len(seen) >= 4


def test_difficulty_follows_contrast_against_clutter():
    settings = physics.ScannerSettings()
    shape = (64, 64)
    mask = np.zeros(shape, bool)
    mask[24:40, 24:40] = True
    empty = np.zeros((len(NAMES), *shape))
    steel = empty.copy()
    steel[INDEX["steel"]][mask] = 3.0
    # a steel block in an empty box: easy
    before = -np.log(physics.transmission(empty, settings)[1])
    after = -np.log(physics.transmission(steel, settings)[1])
    assert scenes.difficulty(scenes.contrast(before, after, mask)) == "easy"
    # a thin organic sheet among dense, varied clutter: hidden
    rng = np.random.default_rng(0)
    clutter = empty.copy()
    clutter[INDEX["steel"]] = np.abs(rng.normal(2.0, 1.5, shape))
    sheet = clutter.copy()
    sheet[INDEX["polyethylene"]][mask] += 0.5
    before = -np.log(physics.transmission(clutter, settings)[1])
    after = -np.log(physics.transmission(sheet, settings)[1])
    assert scenes.difficulty(scenes.contrast(before, after, mask)) == "hidden"


def test_misdeclared_scenes_differ_from_their_declaration():
    rng = np.random.default_rng(2)
    found = 0
    for _ in range(30):
        scene = scenes.generate(rng, misdeclare_rate=0.5, threat_rate=0.0, kind="parcel")
        if scene.misdeclared:
            found += 1
            assert scene.declared_hs != scene.hs or scene.declared_kg < 0.7 * scene.goods_kg
        else:
            assert scene.declared_hs == scene.hs and abs(scene.declared_kg / scene.goods_kg - 1) < 0.25
    assert found > 5
