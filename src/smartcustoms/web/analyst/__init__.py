"""The analyst's pages: risk profiles (draft, replay, maker-checker), the model registry, drift, KPIs (pages.py:
HTML; api.py: JSON under /api/v1; presenters.py: what they show)."""
