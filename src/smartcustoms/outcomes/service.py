"""The outcomes' use cases: read a file of outcomes, store them (those not stored yet), load them."""

from smartcustoms.outcomes.models import COLUMNS, RESULTS, read_outcomes
from smartcustoms.outcomes.repository import load_outcomes, store_outcomes

__all__ = ["COLUMNS", "RESULTS", "load_outcomes", "read_outcomes", "store_outcomes"]
