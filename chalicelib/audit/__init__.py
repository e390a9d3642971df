"""The audit log: who did what to what, when and from where, for every admin action."""
