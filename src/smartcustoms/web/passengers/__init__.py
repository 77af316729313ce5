"""The passenger area: flights arriving (risk list, watchlist matches, dispositions) and arrival-hall planning."""
