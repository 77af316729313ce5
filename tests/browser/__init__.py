"""Browser tests (a package, so that its conftest and helpers never shadow those of tests/web)."""
