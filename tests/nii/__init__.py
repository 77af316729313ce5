"""A package, so that its test modules may share basenames with those of other folders (test_cli.py)."""
