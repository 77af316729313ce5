"""The trader portal: lodging, one's declarations, and the control chain seen from the trader's side (pages.py:
HTML; api.py: JSON under /api/v1; presenters.py: what they show, and the steps the trader takes)."""
