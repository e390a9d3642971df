"""Payments: plans, PayPal subscriptions, verified webhooks and the ledger."""
