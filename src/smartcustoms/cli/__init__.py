"""Command line: one Typer command group per domain."""
