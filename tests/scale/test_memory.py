"""The classification screen's weights are bounded whatever the data's shape (classes x n-gram features)."""

import numpy as np
import pytest

from smartcustoms.risk.classification import ClassificationScreen
from smartcustoms.world import WorldConfig, generate


@pytest.fixture(scope="module")
def world():
    return generate(WorldConfig(declarations=1500, seed=2, start="2025-01-01", days=60))


def test_weights_stay_within_the_bound_and_the_screen_still_scores(world):
    screen = ClassificationScreen(max_iter=20, nomenclature_weight=0, max_coefficients=20_000).fit(
        world.declarations, world.inspections)
    classes, features = len(screen.classes_), len(screen.vectorizer_.vocabulary_)
    assert classes > 10 and classes * features <= 20_000
    scored = screen.score(world.declarations.head(200))
    assert scored["classification_score"].notna().mean() > 0.9


def test_the_default_bound_leaves_the_generated_world_unchanged(world):
    bounded = ClassificationScreen(max_iter=20, nomenclature_weight=0).fit(world.declarations, world.inspections)
    free = ClassificationScreen(max_iter=20, nomenclature_weight=0, max_coefficients=None).fit(
        world.declarations, world.inspections)
    assert bounded.coef_.size < 2_000_000
    assert np.array_equal(bounded.coef_, free.coef_)
