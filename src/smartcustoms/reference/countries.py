"""ISO 3166-1 countries and ISO 4217 currencies, from the pycountry package."""

from functools import lru_cache

import pycountry


@lru_cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes."""
    return frozenset(c.alpha_2 for c in pycountry.countries)


@lru_cache
def currency_codes() -> frozenset[str]:
    """ISO 4217 alphabetic codes."""
    return frozenset(c.alpha_3 for c in pycountry.currencies)

