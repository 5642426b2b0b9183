"""Text from the documents users upload for retrieval: one module per format, and
`extract`, which picks the format (extract.py)."""

from switchboard.adapters.documents.extract import SUPPORTED, extract

__all__ = ["SUPPORTED", "extract"]
