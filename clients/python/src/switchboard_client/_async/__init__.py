"""The asyncio client: `AsyncSwitchboard` in client.py, its namespaces by feature."""
