/* The page's behaviour: a thin client of the public JSON API (no build step, no dependencies).
 *
 * Offsets in the API count Unicode code points (the server's strings); JavaScript strings count
 * UTF-16 units. Every span is converted before the text is sliced, so the highlighted text is
 * exactly the document text [start:end] the API describes. */
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("page-config").textContent);
  const $ = (selector, root = document) => root.querySelector(selector);
  const KEY_STORAGE = "policy-rag-api-key";

  // ------------------------------------------------------------------ small helpers

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  function showMessage(node, message) {
    node.textContent = message;
    node.hidden = false;
  }

  function clearMessage(node) {
    node.textContent = "";
    node.hidden = true;
  }

  function stableUrl(documentId, start, end) {
    const path = `/ui/documents/${encodeURIComponent(documentId)}`;
    return start === undefined ? path : `${path}#${start}-${end}`;
  }

  // Facts worth showing about a document, from its metadata (status and dates when known).
  function documentFacts(metadata, extra = {}) {
    const meta = { ...(metadata || {}), ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v)) };
    const facts = [];
    if (meta.jurisdiction) facts.push(String(meta.jurisdiction));
    if (meta.doc_type) facts.push(String(meta.doc_type));
    if (meta.status) facts.push(String(meta.status));
    if (meta.date) facts.push(String(meta.date));
    if (meta.effective_from) facts.push(`applies from ${meta.effective_from}`);
    if (meta.revoked_on) facts.push(`revoked on ${meta.revoked_on}`);
    return facts;
  }

  // ------------------------------------------------------------------ API access

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  const keyBar = $("#key-bar");
  const keyInput = $("#api-key");
  keyInput.value = sessionStorage.getItem(KEY_STORAGE) || "";
  keyInput.addEventListener("input", () => sessionStorage.setItem(KEY_STORAGE, keyInput.value.trim()));
  if (config.reads_need_key) keyBar.hidden = false;

  function askForKey() {
    keyBar.hidden = false;
    if (!keyInput.value) keyInput.focus();
  }

  function authHeaders() {
    const key = keyInput.value.trim();
    return key ? { Authorization: `Bearer ${key}` } : {};
  }

  // The server's own message, as is, from the one error shape {"error": {"code", "message"}}.
  function errorFromBody(status, statusText, bodyText) {
    let code = "http_error";
    let message = `The server answered ${status} ${statusText}`.trim();
    try {
      const body = JSON.parse(bodyText);
      if (body && body.error && body.error.message) {
        code = body.error.code;
        message = body.error.message;
      }
    } catch (ignored) {
      // not JSON: keep the status line
    }
    if (status === 401) askForKey();
    return new ApiError(status, code, message);
  }

  async function api(path, options = {}) {
    let response;
    try {
      response = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, "network", `The server could not be reached (${error.message}).`);
    }
    if (!response.ok) throw errorFromBody(response.status, response.statusText, await response.text());
    return response;
  }

  let documentsRequest = null;

  // Every stored document (the list endpoint is paged), fetched once per page view.
  function allDocuments() {
    if (!documentsRequest) {
      documentsRequest = (async () => {
        const found = [];
        for (;;) {
          const page = await (await api(`/documents?offset=${found.length}&limit=500`)).json();
          found.push(...page.documents);
          if (!page.documents.length || found.length >= page.total) return found;
        }
      })();
      documentsRequest.catch(() => { documentsRequest = null; });
    }
    return documentsRequest;
  }

  const infoCache = new Map();
  const textCache = new Map();

  function documentInfo(id) {
    if (!infoCache.has(id)) {
      const request = api(`/documents/${encodeURIComponent(id)}`).then((r) => r.json());
      request.catch(() => infoCache.delete(id));
      infoCache.set(id, request);
    }
    return infoCache.get(id);
  }

  function documentText(id) {
    if (!textCache.has(id)) {
      const request = api(`/documents/${encodeURIComponent(id)}/text`).then(async (r) => new DocumentText(await r.text()));
      request.catch(() => textCache.delete(id));
      textCache.set(id, request);
    }
    return textCache.get(id);
  }

  // ------------------------------------------------------------------ document text and spans

  class DocumentText {
    constructor(text) {
      this.text = text;
      this.astral = /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(text);
      this.length = this.astral ? Array.from(text).length : text.length; // in code points, as the API counts
    }

    // UTF-16 index of a code-point offset.
    unit(offset) {
      if (!this.astral) return offset;
      let units = 0;
      for (let points = 0; points < offset && units < this.text.length; points += 1) {
        const code = this.text.charCodeAt(units);
        units += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
      }
      return units;
    }
  }

  const CONTEXT = 4000; // characters shown on each side of a span at first
  const MORE = 20000; // characters added by "Show earlier/later text"
  const WHOLE = 30000; // documents up to this length are shown whole
  const SNAP = 400; // a window edge moves to a line break this close

  // A window edge never splits a character made of two UTF-16 units.
  function whole(text, index) {
    const low = text.charCodeAt(index);
    return index > 0 && low >= 0xdc00 && low <= 0xdfff ? index - 1 : index;
  }

  function snapStart(text, index) {
    if (index <= 0) return 0;
    const lineStart = text.lastIndexOf("\n", index) + 1;
    return index - lineStart <= SNAP ? lineStart : whole(text, index);
  }

  function snapEnd(text, index) {
    if (index >= text.length) return text.length;
    const lineEnd = text.indexOf("\n", index);
    return lineEnd !== -1 && lineEnd - index <= SNAP ? lineEnd : whole(text, index);
  }

  // ------------------------------------------------------------------ the document view

  class DocumentViewer {
    constructor(root) {
      this.root = root;
      this.title = $("#doc-title", root);
      this.facts = $("#doc-facts", root);
      this.spanInfo = $("#doc-span", root);
      this.error = $("#doc-error", root);
      this.body = $("#doc-text", root);
      this.before = $("#more-before", root);
      this.after = $("#more-after", root);
      this.copyButton = $("#copy-link", root);
      this.copyStatus = $("#copy-status", root);
      this.openLink = $("#open-link", root);
      this.request = 0;
      this.before.addEventListener("click", () => this.extend(-MORE));
      this.after.addEventListener("click", () => this.extend(MORE));
      this.copyButton.addEventListener("click", () => this.copyLink());
    }

    // Show a document, with the span [start, end) highlighted when given.
    async show({ documentId, start, end, section, page }) {
      const request = ++this.request;
      clearMessage(this.error);
      this.copyStatus.textContent = "";
      this.title.textContent = "Loading the document…";
      this.facts.textContent = "";
      this.body.replaceChildren();
      this.before.hidden = this.after.hidden = true;
      this.spanInfo.hidden = this.copyButton.hidden = true;
      if (this.openLink) this.openLink.hidden = true;
      this.root.setAttribute("aria-busy", "true");
      let info;
      let text;
      try {
        [info, text] = await Promise.all([documentInfo(documentId), documentText(documentId)]);
      } catch (error) {
        if (request !== this.request) return;
        this.title.textContent = "Document not shown";
        showMessage(this.error, error.message);
        this.root.removeAttribute("aria-busy");
        return;
      }
      if (request !== this.request) return; // a later click won
      this.root.removeAttribute("aria-busy");
      this.documentId = documentId;
      this.text = text;
      this.title.textContent = info.title;
      if (document.body.dataset.page === "document") document.title = `${info.title} · Policy RAG`;
      this.facts.textContent = [...documentFacts(info.metadata), `${info.char_count.toLocaleString()} characters`].join(" · ");
      this.span = null;
      if (start !== undefined) {
        if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= text.length)) {
          showMessage(this.error, `The passage ${start}-${end} lies outside this document (${text.length} characters).`);
        } else {
          this.span = { start, end, from: text.unit(start), to: text.unit(end) };
          const where = [section, page ? `page ${page}` : null, `characters ${start}–${end}`].filter(Boolean);
          this.spanInfo.textContent = `Passage: ${where.join(" · ")}`;
          this.spanInfo.hidden = false;
          this.copyButton.hidden = false;
          if (this.openLink) {
            this.openLink.href = stableUrl(documentId, start, end);
            this.openLink.hidden = false;
          }
        }
      } else if (this.openLink) {
        this.openLink.href = stableUrl(documentId);
        this.openLink.hidden = false;
      }
      this.chooseWindow(text);
      this.render();
      const mark = $("mark", this.body);
      if (mark) this.reveal(mark);
    }

    // Scroll the span to the middle of the text's own scroll area, or of the page when the text has none.
    reveal(mark) {
      if (getComputedStyle(this.body).overflowY === "auto" && this.body.scrollHeight > this.body.clientHeight) {
        const offset = mark.getBoundingClientRect().top - this.body.getBoundingClientRect().top;
        this.body.scrollTop += offset - (this.body.clientHeight - mark.offsetHeight) / 2;
      } else {
        mark.scrollIntoView({ block: "center" });
      }
    }

    chooseWindow(text) {
      const length = text.text.length;
      if (length <= WHOLE) {
        this.from = 0;
        this.to = length;
      } else if (this.span) {
        this.from = snapStart(text.text, Math.max(0, this.span.from - CONTEXT));
        this.to = snapEnd(text.text, Math.min(length, this.span.to + CONTEXT));
      } else {
        this.from = 0;
        this.to = snapEnd(text.text, 2 * CONTEXT);
      }
    }

    render() {
      const text = this.text.text;
      const parts = [];
      if (this.span) {
        parts.push(
          text.slice(this.from, this.span.from),
          el("mark", { "data-testid": "highlight", tabindex: "-1" }, text.slice(this.span.from, this.span.to)),
          text.slice(this.span.to, this.to),
        );
      } else {
        parts.push(text.slice(this.from, this.to));
      }
      this.body.replaceChildren(...parts.filter((part) => part !== ""));
      this.before.hidden = this.from === 0;
      this.after.hidden = this.to >= text.length;
    }

    extend(amount) {
      const text = this.text.text;
      if (amount < 0) this.from = snapStart(text, Math.max(0, this.from + amount));
      else this.to = snapEnd(text, Math.min(text.length, this.to + amount));
      const height = this.body.scrollHeight;
      this.render();
      if (amount < 0) {
        // text went in above what the reader sees: move by as much, so the same lines stay in view
        const grown = this.body.scrollHeight - height;
        if (getComputedStyle(this.body).overflowY === "auto") this.body.scrollTop += grown;
        else window.scrollBy(0, grown);
      }
      if ((amount < 0 ? this.before : this.after).hidden) this.body.focus(); // the button is gone: keep focus nearby
    }

    async copyLink() {
      const url = new URL(stableUrl(this.documentId, this.span.start, this.span.end), window.location.href).href;
      try {
        await navigator.clipboard.writeText(url);
        this.copyStatus.textContent = `Link copied: ${url}`;
      } catch (error) {
        this.copyStatus.textContent = `Copy this link: ${url}`;
      }
    }
  }

  // ------------------------------------------------------------------ server-sent events

  async function* serverEvents(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      const blocks = buffer.replace(/\r\n/g, "\n").split("\n\n");
      buffer = done ? "" : blocks.pop();
      for (const block of blocks) {
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
      }
      if (done) return;
    }
  }

  // ------------------------------------------------------------------ the ask view

  function initAsk() {
    const form = $("#ask-form");
    const question = $("#question");
    const button = $("#ask-button");
    const answer = $("#answer");
    const answerText = $("#answer-text");
    const directAnswer = $("#direct-answer");
    const answerMeta = $("#answer-meta");
    const warnings = $("#answer-warnings");
    const sourcesBlock = $("#sources-block");
    const sources = $("#sources");
    const passages = $("#passages");
    const askError = $("#ask-error");
    const layout = $("#ask-layout");
    const pane = $("#doc-pane");
    const viewer = new DocumentViewer($("#document-view"));
    let controller = null;
    let lastOpened = null;
    let citations = new Map();

    fillFilters();

    question.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      ask();
    });
    answer.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-document-id]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      openSource(link);
    });
    $("#close-doc").addEventListener("click", () => {
      pane.hidden = true;
      layout.classList.remove("with-document");
      if (lastOpened && lastOpened.isConnected) lastOpened.focus();
    });

    async function fillFilters() {
      const filtersError = $("#filters-error");
      try {
        const documents = await allDocuments();
        const distinct = (key) => [...new Set(documents.map((d) => d.metadata[key]).filter((v) => typeof v === "string" && v))].sort();
        for (const [id, key] of [["#f-jurisdiction", "jurisdiction"], ["#f-doc-type", "doc_type"]]) {
          $(id).append(...distinct(key).map((value) => el("option", { value }, value)));
        }
        const byTitle = [...documents].sort((a, b) => a.title.localeCompare(b.title));
        $("#f-document").append(...byTitle.map((d) => el("option", { value: d.id }, d.title)));
      } catch (error) {
        showMessage(filtersError, `The filter choices could not be loaded: ${error.message}`);
      }
    }

    function request() {
      const body = { question: question.value, stream: true };
      const filters = {};
      if ($("#f-jurisdiction").value) filters.jurisdiction = $("#f-jurisdiction").value;
      if ($("#f-doc-type").value) filters.doc_type = $("#f-doc-type").value;
      if ($("#f-document").value) filters.document_ids = [$("#f-document").value];
      const inForce = $("#f-in-force");
      if (inForce && inForce.checked && config.filters.includes("in_force")) filters.in_force = true;
      if (Object.keys(filters).length) body.filters = filters;
      const mode = $("#f-mode");
      if (mode && config.answer_modes.length) body.mode = mode.value;
      return body;
    }

    async function ask() {
      if (controller) controller.abort();
      controller = new AbortController();
      const signal = controller.signal;
      clearMessage(askError);
      answer.hidden = false;
      answer.dataset.state = "streaming";
      answer.setAttribute("aria-busy", "true");
      answerText.replaceChildren();
      answerText.classList.remove("abstained");
      directAnswer.replaceChildren();
      directAnswer.hidden = true;
      answerMeta.textContent = "Searching the documents…";
      warnings.replaceChildren();
      warnings.hidden = true;
      sources.replaceChildren();
      sourcesBlock.hidden = true;
      passages.hidden = true;
      citations = new Map();
      button.disabled = true;
      let finished = false;
      try {
        const response = await api("/ask", {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
          body: JSON.stringify(request()),
          signal,
        });
        for await (const { event, data } of serverEvents(response)) {
          if (signal.aborted) return;
          if (event === "passages") showPassages(data.passages);
          else if (event === "delta") appendSentence(data.text);
          else if (event === "citations") await showSources(data.citations);
          else if (event === "done") {
            await finish(data);
            finished = true;
          } else if (event === "error") throw new ApiError(500, data.error.code, data.error.message);
        }
        if (!finished) throw new ApiError(0, "incomplete", "The answer stopped before it was complete; ask again.");
      } catch (error) {
        if (error.name === "AbortError" || signal.aborted) return;
        showMessage(askError, error.message);
        answerMeta.textContent = "";
        answer.dataset.state = "error";
      } finally {
        if (!signal.aborted) {
          answer.removeAttribute("aria-busy");
          button.disabled = false;
        }
      }
    }

    function appendSentence(sentence) {
      if (answerText.childNodes.length) answerText.append(" ");
      answerText.append(...withMarkers(sentence));
      answerMeta.textContent = "Answering…";
    }

    // "Text. [1] More [2]" with each [n] a link to its source (a plain label until the sources are known).
    function withMarkers(text) {
      const nodes = [];
      let last = 0;
      for (const match of text.matchAll(/\[(\d+)\]/g)) {
        if (match.index > last) nodes.push(text.slice(last, match.index));
        const citation = citations.get(Number(match[1]));
        nodes.push(citation ? citationLink(citation, "marker", match[0]) : el("span", { class: "marker" }, match[0]));
        last = match.index + match[0].length;
      }
      if (last < text.length) nodes.push(text.slice(last));
      return nodes;
    }

    function citationLink(citation, kind, ...content) {
      return el(
        "a",
        {
          class: kind,
          href: stableUrl(citation.document_id, citation.start, citation.end),
          "data-testid": kind === "marker" ? "marker" : "citation",
          "aria-label": kind === "marker" ? `Source ${citation.n}: ${citation.title}` : null,
          dataset: {
            n: citation.n,
            documentId: citation.document_id,
            start: citation.start,
            end: citation.end,
            section: citation.section || "",
            page: citation.page || "",
          },
        },
        ...content,
      );
    }

    async function showSources(list) {
      citations = new Map(list.map((c) => [c.n, c]));
      let metadata = new Map();
      try {
        metadata = new Map((await allDocuments()).map((d) => [d.id, d.metadata]));
      } catch (ignored) {
        // the sources still show, without their documents' status and dates
      }
      sources.replaceChildren(
        ...list.map((c) => {
          const facts = [
            c.section,
            c.page ? `page ${c.page}` : null,
            ...documentFacts(metadata.get(c.document_id), { status: c.status, date: c.date }),
          ].filter(Boolean);
          return el(
            "li",
            { id: `source-${c.n}` },
            citationLink(c, "source", el("span", { class: "n" }, `[${c.n}]`), " ", el("span", { class: "source-title" }, c.title)),
            facts.length ? el("p", { class: "facts" }, facts.join(" · ")) : null,
            el("blockquote", {}, c.quote),
          );
        }),
      );
      sourcesBlock.hidden = list.length === 0;
    }

    function showPassages(list) {
      $("#passage-list").replaceChildren(
        ...list.map((p) =>
          el(
            "li",
            {},
            el("a", { href: stableUrl(p.document_id, p.start, p.end), dataset: { documentId: p.document_id, start: p.start, end: p.end, section: p.section || "", page: p.page || "" } }, p.title),
            p.section ? el("span", { class: "facts" }, ` · ${p.section}`) : null,
          ),
        ),
      );
      passages.hidden = list.length === 0;
      passages.querySelector("summary").textContent = `Passages searched (${list.length})`;
    }

    async function finish(done) {
      await showSources(done.citations);
      answerText.replaceChildren(...withMarkers(done.answer));
      showDirectAnswer(done.direct_answer);
      answerText.classList.toggle("abstained", Boolean(done.abstained));
      const notes = [...(done.warnings || []).map((w) => (typeof w === "string" ? w : w.message || JSON.stringify(w)))];
      if (done.fallback_reason) notes.push(`Extractive answer given: ${done.fallback_reason}`);
      warnings.replaceChildren(...notes.map((note) => el("li", {}, note)));
      warnings.hidden = notes.length === 0;
      const timing = done.timings_ms && done.timings_ms.total_ms ? `${Math.round(done.timings_ms.total_ms)} ms` : null;
      const count = done.citations.length;
      answerMeta.textContent = [
        done.abstained ? "No answer in the documents" : `${count} source${count === 1 ? "" : "s"}`,
        done.mode ? `${done.mode} answer` : null,
        timing,
      ].filter(Boolean).join(" · ");
      answer.dataset.state = "done";
    }

    // The one value asked for (a date, an amount, a body), with the marker of the citation stating it.
    function showDirectAnswer(direct) {
      if (!direct || typeof direct.text !== "string" || !direct.text) {
        directAnswer.replaceChildren();
        directAnswer.hidden = true;
        return;
      }
      const citation = citations.get(direct.citation.n) || direct.citation;
      directAnswer.replaceChildren(
        el("span", { class: "label" }, "In short: "),
        el("strong", { "data-testid": "direct-value" }, direct.text),
        " ",
        citationLink(citation, "marker", `[${citation.n}]`),
      );
      directAnswer.hidden = false;
    }

    function openSource(link) {
      lastOpened = link;
      for (const active of answer.querySelectorAll("[aria-current]")) active.removeAttribute("aria-current");
      link.setAttribute("aria-current", "true");
      pane.hidden = false;
      layout.classList.add("with-document");
      const data = link.dataset;
      viewer.show({
        documentId: data.documentId,
        start: Number(data.start),
        end: Number(data.end),
        section: data.section || null,
        page: data.page ? Number(data.page) : null,
      });
      if (window.matchMedia("(max-width: 959px)").matches) pane.scrollIntoView({ block: "start" });
    }
  }

  // ------------------------------------------------------------------ one document's page

  function initDocument() {
    const documentId = $("#document-page").dataset.documentId;
    const viewer = new DocumentViewer($("#document-view"));
    const show = () => {
      const match = /^#(\d+)-(\d+)$/.exec(window.location.hash);
      if (window.location.hash && !match) {
        viewer.show({ documentId }).then(() =>
          showMessage($("#doc-error"), `The link's passage “${window.location.hash}” is not of the form #start-end.`),
        );
        return;
      }
      viewer.show(match ? { documentId, start: Number(match[1]), end: Number(match[2]) } : { documentId });
    };
    window.addEventListener("hashchange", show);
    show();
  }

  // ------------------------------------------------------------------ the library

  function initLibrary() {
    if (config.writes_need_key) keyBar.hidden = false;
    const rows = $("#doc-rows");
    const count = $("#doc-count");
    const search = $("#doc-search");
    const listError = $("#list-error");
    const listStatus = $("#list-status");
    const dialog = $("#confirm-delete");
    let documents = [];
    let sortKey = "title";
    let direction = 1;
    let pending = null;

    const value = (d, key) => (key === "title" ? d.title : key === "chunk_count" ? d.chunk_count : d.metadata[key] ?? "");

    async function load(highlightId) {
      clearMessage(listError);
      documentsRequest = null;
      try {
        documents = await allDocuments();
      } catch (error) {
        rows.replaceChildren(el("tr", {}, el("td", { colspan: 7, class: "empty" }, "The documents could not be listed.")));
        showMessage(listError, error.message);
        return;
      }
      render(highlightId);
    }

    function render(highlightId) {
      const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      const shown = documents.filter((d) => {
        const haystack = [d.title, d.id, ...Object.values(d.metadata).map(String)].join(" ").toLowerCase();
        return words.every((word) => haystack.includes(word));
      });
      shown.sort((a, b) => {
        const x = value(a, sortKey);
        const y = value(b, sortKey);
        const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return order * direction || a.title.localeCompare(b.title);
      });
      count.textContent = `(${documents.length})`;
      if (!shown.length) {
        const message = documents.length ? "No document matches the search." : "No documents yet: add one above.";
        rows.replaceChildren(el("tr", {}, el("td", { colspan: 7, class: "empty" }, message)));
        return;
      }
      rows.replaceChildren(...shown.map((d) => row(d, d.id === highlightId)));
    }

    function row(d, isNew) {
      const cell = (label, content, cls) => el("td", { "data-label": label, class: cls }, content);
      const meta = d.metadata;
      return el(
        "tr",
        { "data-testid": "document-row", "data-document-id": d.id, class: isNew ? "new" : null },
        cell("Title", el("a", { href: stableUrl(d.id) }, d.title), "title-cell"),
        cell("Jurisdiction", String(meta.jurisdiction ?? "–")),
        cell("Type", String(meta.doc_type ?? "–")),
        cell("Date", String(meta.date ?? "–"), "date"),
        cell("Status", String(meta.status ?? "–")),
        cell("Chunks", String(d.chunk_count), "number"),
        el(
          "td",
          { class: "actions" },
          el("button", { type: "button", class: "danger quiet", "data-action": "delete", "aria-label": `Delete ${d.title}` }, "Delete"),
        ),
      );
    }

    search.addEventListener("input", () => render());
    for (const button of document.querySelectorAll("button.sort")) {
      button.addEventListener("click", () => {
        direction = sortKey === button.dataset.sort ? -direction : 1;
        sortKey = button.dataset.sort;
        for (const th of document.querySelectorAll("th[aria-sort]")) th.setAttribute("aria-sort", "none");
        button.parentElement.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
        render();
      });
    }

    rows.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action=delete]");
      if (!button) return;
      pending = { id: button.closest("tr").dataset.documentId, button };
      $("#confirm-title").textContent = documents.find((d) => d.id === pending.id).title;
      dialog.returnValue = "";
      dialog.showModal();
    });
    dialog.addEventListener("close", async () => {
      const target = pending;
      pending = null;
      if (!target) return;
      if (dialog.returnValue !== "delete") {
        if (target.button.isConnected) target.button.focus();
        return;
      }
      clearMessage(listError);
      listStatus.textContent = "Deleting…";
      try {
        await api(`/documents/${encodeURIComponent(target.id)}`, { method: "DELETE" });
        listStatus.textContent = `Deleted ${target.id}.`;
        await load();
        search.focus();
      } catch (error) {
        listStatus.textContent = "";
        showMessage(listError, error.message);
      }
    });

    initUpload(load);
    load();
  }

  function initUpload(reload) {
    const form = $("#upload-form");
    const button = $("#upload-button");
    const progress = $("#upload-progress");
    const status = $("#upload-status");
    const error = $("#upload-error");

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      clearMessage(error);
      const file = $("#u-file").files[0];
      if (!file) return;
      const metadata = {};
      for (const name of ["title", "jurisdiction", "doc_type", "date", "status"]) {
        const field = form.elements[name].value.trim();
        if (field) metadata[name] = field;
      }
      const body = new FormData();
      body.append("file", file);
      if (Object.keys(metadata).length) body.append("metadata", JSON.stringify(metadata));
      // XMLHttpRequest rather than fetch: it reports upload progress.
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/documents");
      for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) progress.value = Math.round((100 * e.loaded) / e.total);
      });
      xhr.upload.addEventListener("load", () => {
        progress.removeAttribute("value"); // indeterminate while the server reads and indexes the file
        status.textContent = "Indexing…";
      });
      xhr.addEventListener("load", async () => {
        done();
        if (xhr.status >= 200 && xhr.status < 300) {
          const stored = JSON.parse(xhr.responseText);
          const what = { added: "Added", updated: "Updated", unchanged: "Already stored, unchanged:" }[stored.status];
          status.textContent = `${what} “${stored.document.title}” (${stored.document.chunk_count} chunks).`;
          form.reset();
          await reload(stored.document.id);
        } else {
          status.textContent = "";
          showMessage(error, errorFromBody(xhr.status, xhr.statusText, xhr.responseText).message);
        }
      });
      xhr.addEventListener("error", () => {
        done();
        status.textContent = "";
        showMessage(error, "The upload failed: the server could not be reached.");
      });
      button.disabled = true;
      progress.hidden = false;
      progress.value = 0;
      status.textContent = `Uploading ${file.name}…`;
      xhr.send(body);
    });

    function done() {
      button.disabled = false;
      progress.hidden = true;
    }
  }

  // ------------------------------------------------------------------

  const views = { ask: initAsk, document: initDocument, library: initLibrary };
  const init = views[document.body.dataset.page];
  if (init) init();
})();
