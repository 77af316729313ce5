"""Outcomes: what controls found (the labels every screen, profile and model learns from) and the infringement
vocabulary; below risk, targeting and control, which all read them."""
