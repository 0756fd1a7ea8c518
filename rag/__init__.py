"""Question answering over AI-policy documents with checkable citations."""

__version__ = "0.1.0"
