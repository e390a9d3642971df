"""The platform every domain stands on: settings, AWS clients and resources, HTTP plumbing and
errors, the message catalogue, logs and metrics, outages, clocks, ids and parsing of what
clients send. Nothing here imports a domain, the routes or the web layer."""
