"""The synchronous client: `Switchboard` in client.py, its namespaces by feature."""
