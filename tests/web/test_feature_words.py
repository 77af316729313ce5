"""The model registry and drift pages show the model's raw keys in words, in English and French."""

import pytest

from smartcustoms.web.feature_words import feature_label, metric_label
from smartcustoms.web.i18n import translations

EN, FR = translations("en").gettext, translations("fr").gettext


@pytest.mark.parametrize("key, english, french", [
    ("seen:office_id", "earlier declarations of office", "déclarations antérieures de bureau"),
    ("te:importer_id*hs6", "past discrepancy rate of importer × HS subheading",
     "taux d'infractions passé de importateur × sous-position SH"),
    ("n:declarant_id", "past controls of declarant", "contrôles passés de déclarant"),
    ("unit_z", "unit price against earlier imports (z-score)", "prix unitaire face aux importations antérieures (score z)"),
    ("score", "model score", "score du modèle"),
    ("mystery_column", "mystery_column", "mystery_column"),  # unknown: shown as it is, never hidden
])
def test_features_in_words(key, english, french):
    assert feature_label(key, EN) == english and feature_label(key, FR) == french


@pytest.mark.parametrize("key, english, french", [
    ("discrepancy_rate", "discrepancy rate", "taux d'infractions"),
    ("precision@1%", "precision in the top 1%", "précision dans les 1% les plus risqués"),
    ("recall@5%", "recall in the top 5%", "rappel dans les 5% les plus risqués"),
    ("random_share", "share of random controls", "part des contrôles aléatoires"),
])
def test_metrics_in_words(key, english, french):
    assert metric_label(key, EN) == english and metric_label(key, FR) == french


def test_every_known_feature_of_the_model_has_words():
    from smartcustoms.targeting import features

    for name, plain in features.PLAIN_NAMES.items():
        assert feature_label(name, EN) != name or plain == name, name
    for keys in features.ALL_KEYS:
        key = "*".join(keys)
        for prefix in ("te", "n", "seen"):
            words = feature_label(f"{prefix}:{key}", EN)
            assert "_id" not in words and ":" not in words, words
