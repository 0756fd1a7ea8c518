"""The stores: the document store (SQLite, the source of truth, with the lexical
index inside it) and the vector index (Chroma), each behind a small class."""
