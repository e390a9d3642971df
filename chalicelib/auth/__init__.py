"""Accounts: users, sessions, login throttling, password resets and roles."""
