"""Passengers: advance passenger data (PAXLST, PNRGOV), watchlist matching, explainable rules, bag pre-screening
and arrival-hall planning (issue 18)."""
