"""Whether the three stores agree: used after failures, crashes and soaks.

    problems = store_problems(pipeline)   # [] when every document is whole

Opening the vector index runs recovery first (as any opening does), so this
describes the state a restarted service would serve.
"""

from __future__ import annotations

from typing import Any


def store_problems(pipeline: Any) -> list[str]:
    """Every disagreement between SQLite (documents, chunks, lexical index) and Chroma."""
    vectors = pipeline._vector_index()
    store = pipeline.store
    problems: list[str] = []
    with store.connection() as db:
        chunk_ids = {row[0] for row in db.execute("SELECT id FROM chunks")}
        lexical_rows = db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]
        open_entries = db.execute("SELECT count(*) FROM journal").fetchone()[0]
        empty = [row[0] for row in db.execute(
            "SELECT id FROM documents WHERE id NOT IN (SELECT DISTINCT document_id FROM chunks)"
        )]
        spans = db.execute(
            'SELECT c.id, c.start, c."end", c.text, d.text FROM chunks c JOIN documents d ON d.id = c.document_id'
        ).fetchall()
    vector_ids = vectors.all_ids()
    if vector_ids - chunk_ids:
        problems.append(f"{len(vector_ids - chunk_ids)} vector(s) without a chunk, e.g. {min(vector_ids - chunk_ids)}")
    if chunk_ids - vector_ids:
        problems.append(f"{len(chunk_ids - vector_ids)} chunk(s) without a vector, e.g. {min(chunk_ids - vector_ids)}")
    if lexical_rows != len(chunk_ids):
        problems.append(f"the lexical index holds {lexical_rows} rows for {len(chunk_ids)} chunks")
    if open_entries:
        problems.append(f"{open_entries} write(s) still open in the journal")
    problems.extend(f"document {doc_id} has no chunks" for doc_id in empty)
    problems.extend(
        f"chunk {chunk_id} is not its document's text[{start}:{end}]"
        for chunk_id, start, end, text, document in spans
        if document[start:end] != text
    )
    return problems
