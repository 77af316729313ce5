"""The staff area: one search box for every staff role, and a page for every declaration with its full history."""
