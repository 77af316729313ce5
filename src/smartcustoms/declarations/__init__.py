"""Declarations: the model, validation against reference data, and intake from files."""
