"""What a container builds, in parts: core.py (clients, accounts, billing, inference ...),
batches.py (files, batches, uploads) and videos.py; bootstrap.Container joins them."""
