"""Documents added over HTTP survive a restart on the same data folder."""

from __future__ import annotations

import uuid


def test_uploads_survive_restart(start_server, settings_for, tmp_path, check):
    settings = settings_for(tmp_path / "data")
    marker = uuid.uuid4().hex[:8]
    content = (
        f"Harbour AI ordinance {marker}\n\n"
        "Autonomous ferries in the harbour must keep a human pilot on the bridge at all times. "
        "Ferry operators must report every near miss to the harbour master within 48 hours.\n"
    ).encode()

    first = start_server(settings)
    with first.client() as c:
        corpus = {d["id"]: d for d in c.get("/documents").json()["documents"]}
        assert len(corpus) == 2  # the built-in corpus, ingested into an empty index
        created = c.post("/documents", files={"file": ("harbour-ordinance.txt", content, "text/plain")}, data={"metadata": '{"doc_type": "ordinance"}'})
        assert created.status_code == 201, created.text
        doc = created.json()["document"]
        text_before = c.get(f"/documents/{doc['id']}/text").text
    first.stop()

    second = start_server(settings)
    with second.client() as c:
        assert c.get("/ready").json()["documents"] == 3
        after = c.get(f"/documents/{doc['id']}").json()
        assert after == doc
        assert c.get(f"/documents/{doc['id']}/text").text == text_before
        # The corpus was not ingested again: the index was not empty.
        for d in c.get("/documents").json()["documents"]:
            if d["id"] in corpus:
                assert d == corpus[d["id"]]
        answer = c.post("/ask", json={"question": "Within how many hours must ferry operators report a near miss?"}).json()
        check.answer(c, answer)
        assert doc["id"] in {cit["document_id"] for cit in answer["citations"]}
        again = c.post("/documents", files={"file": ("harbour-ordinance.txt", content, "text/plain")}, data={"metadata": '{"doc_type": "ordinance"}'})
        assert again.status_code == 200 and again.json()["status"] == "unchanged"
    second.stop()
