"""Questions keep being answered while a large PDF is being ingested."""

from __future__ import annotations

import threading
import time
import uuid

QUESTIONS = [
    "What did Musk say about China and AI regulation?",
    "Who called for global cooperation on AI governance?",
    "Which startup developed a competitive AI model?",
]


def test_questions_answered_during_upload(server, check, pdf_maker, policy_text):
    topic = f"glacier sensor {uuid.uuid4().hex[:6]}"
    pdf = pdf_maker(policy_text(topic, pages=8, lines_per_page=25), title="Glacier sensor rules")
    assert len(pdf) < server.settings.max_upload_bytes
    upload: dict = {}
    answered: list[tuple[float, float, int, dict]] = []
    stop = threading.Event()

    def do_upload() -> None:
        with server.client() as c:
            upload["start"] = time.monotonic()
            upload["response"] = c.post("/documents", files={"file": ("glacier-rules.pdf", pdf, "application/pdf")})
            upload["end"] = time.monotonic()
        stop.set()

    def keep_asking() -> None:
        with server.client() as c:
            i = 0
            while not stop.is_set() and i < 200:
                started = time.monotonic()
                response = c.post("/ask", json={"question": QUESTIONS[i % len(QUESTIONS)], "top_k": 4})
                answered.append((started, time.monotonic(), response.status_code, response.json()))
                i += 1

    asker = threading.Thread(target=keep_asking)
    uploader = threading.Thread(target=do_upload)
    asker.start()
    time.sleep(0.05)
    uploader.start()
    uploader.join(timeout=170)
    stop.set()
    asker.join(timeout=60)

    response = upload["response"]
    assert response.status_code == 201, response.text
    doc = response.json()["document"]
    assert doc["page_count"] == 8 and doc["chunk_count"] >= 4

    assert answered and all(status == 200 for _, _, status, _ in answered), [a[2:] for a in answered if a[2] != 200]
    during = [a for a in answered if a[0] >= upload["start"] and a[1] <= upload["end"]]
    assert len(during) >= 2, (len(answered), upload["end"] - upload["start"])
    with server.client() as c:
        for _, _, _, answer in answered:
            check.answer(c, answer)
        # The new document is searchable, with its pages.
        answer = c.post(
            "/ask",
            json={"question": f"Within how many days must operators of {topic} systems in district 7 file audit report number 712?",
                  "filters": {"document_ids": [doc["id"]]}},
        ).json()
        check.answer(c, answer)
        assert answer["citations"] and all(1 <= cit["page"] <= 8 for cit in answer["citations"])
        assert c.delete(f"/documents/{doc['id']}").status_code == 204
        check.forget(doc["id"])
