"""A local PayPal: the REST endpoints the app calls, and webhooks signed by a test CA."""
