"""Accounts: users and their scopes, sessions, API tokens, login attempts, and who lodged what."""
