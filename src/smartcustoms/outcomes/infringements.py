"""What a control found, in one vocabulary. Outcomes name infringements as comma-separated types of
`INFRINGEMENTS` (valuation, classification, origin, quantity, prohibited, ipr, other); imported histories (the
synthetic world, older systems) may use the fraud names (undervaluation, misclassification, ...), which map
onto them."""

import pandas as pd

INFRINGEMENTS = ("valuation", "classification", "origin", "quantity", "prohibited", "ipr", "other")

SYNONYMS = {"undervaluation": "valuation", "misclassification": "classification", "false_origin": "origin",
            "understated_quantity": "quantity", "prohibited_goods": "prohibited"}


def kinds(text) -> set[str]:
    """The infringement types of one outcome's text, e.g. "valuation,origin" or "undervaluation"."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return set()
    names = {part.strip().lower() for part in str(text).split(",") if part.strip()}
    return {SYNONYMS.get(name, name) for name in names}


def found(infringement: pd.Series, wanted) -> pd.Series:
    """True where an outcome's infringements include any of `wanted` (names in either vocabulary)."""
    wanted = {SYNONYMS.get(name, name) for name in ([wanted] if isinstance(wanted, str) else wanted)}
    return infringement.map(lambda text: bool(kinds(text) & wanted)).astype(bool)


__all__ = ["INFRINGEMENTS", "SYNONYMS", "found", "kinds"]
