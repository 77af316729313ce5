"""The officer console: the case queue, a task from opening to release, documents, valuation queries, lane
overrides (pages.py: HTML; api.py: JSON under /api/v1; presenters.py: what they show)."""
