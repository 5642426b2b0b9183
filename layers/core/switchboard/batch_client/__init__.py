"""`switchboard batch`: submit a JSONL file as a batch, follow it, download its results.

client.py    the Files and Batch APIs over HTTP (httpx), errors as one-line ApiErrors
progress.py  the progress line drawn while a batch is followed
views.py     batches as text: show's fields, list's table, the final summary
commands.py  the commands themselves (their arguments are wired in cli.py)
"""
