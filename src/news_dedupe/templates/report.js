// The news-dedupe report: lists a page of clusters at a time from the JSON in #data, filters by
// relation, searches ids and headlines, and shows a member beside its original with the passages
// they share highlighted. The state lives in the URL's fragment (#relation=summary&q=iran&page=2
// &open=c3), so a view can be bookmarked or shared. Every string from the input is inserted with
// textContent, never as markup.
(function () {
  "use strict";
  const root = document.documentElement;
  const DATA = JSON.parse(document.getElementById("data").textContent);
  const DOCS = DATA.docs;
  const CLUSTERS = DATA.clusters;
  const PAGE = DATA.page_size;
  const state = { relation: "", q: "", page: 1, open: "" };
  const texts = new Map(); // document number -> its parsed text block
  let haystack = null; // per cluster, its members' ids and headlines in lower case (first search)
  let shown = []; // indexes of the clusters that pass the filter

  const $ = (id) => document.getElementById(id);
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  const fixed = (x) => (typeof x === "number" ? x.toFixed(2) : "");

  function readHash() {
    const p = new URLSearchParams(location.hash.replace(/^#/, ""));
    state.relation = p.get("relation") || "";
    state.q = p.get("q") || "";
    state.page = Math.max(1, parseInt(p.get("page") || "1", 10) || 1);
    state.open = p.get("open") || "";
  }

  function writeHash() {
    const p = new URLSearchParams();
    if (state.relation) p.set("relation", state.relation);
    if (state.q) p.set("q", state.q);
    if (state.page > 1) p.set("page", String(state.page));
    if (state.open) p.set("open", state.open);
    const hash = p.toString();
    try {
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    } catch (e) {
      // some browsers refuse history changes on file: pages; the view still works, unbookmarked
    }
  }

  function filter() {
    const q = state.q.trim().toLowerCase();
    if (q && haystack === null) {
      haystack = CLUSTERS.map((c) =>
        c.members.map((m) => DOCS[m.doc].id + "\n" + DOCS[m.doc].headline).join("\n").toLowerCase()
      );
    }
    shown = [];
    for (let i = 0; i < CLUSTERS.length; i++) {
      if (state.relation && !CLUSTERS[i].members.some((m, k) => k > 0 && m.relation === state.relation)) {
        continue;
      }
      if (q && haystack[i].indexOf(q) < 0) continue;
      shown.push(i);
    }
  }

  function text(number) {
    if (!texts.has(number)) {
      const block = document.getElementById("t" + number);
      texts.set(number, block ? JSON.parse(block.textContent) : null);
    }
    return texts.get(number);
  }

  // The text of a document into `box`, the prose segments in `segments` marked: the k-th of them
  // is the k-th matched passage, and its partner in the other text carries the same data-k.
  function fillText(box, blob, segments) {
    const marks = [];
    segments.forEach((s, k) => {
      const span = blob.spans[s];
      if (span && span[1] > span[0]) marks.push([span[0], span[1], k]);
    });
    marks.sort((x, y) => x[0] - y[0] || x[2] - y[2]);
    let at = 0;
    for (const [start, end, k] of marks) {
      if (start < at) continue; // pieces of one long sentence share its span
      if (start > at) box.appendChild(document.createTextNode(blob.text.slice(at, start)));
      const mark = el("mark", k % 2 ? "alt" : "", blob.text.slice(start, end));
      mark.dataset.k = String(k);
      box.appendChild(mark);
      at = end;
    }
    if (at < blob.text.length) box.appendChild(document.createTextNode(blob.text.slice(at)));
    if (blob.cut) box.appendChild(el("span", "none", "\n[cut here: the report shows the first 200,000 characters]"));
  }

  function side(label, number, segments) {
    const doc = DOCS[number];
    const box = el("div", "side");
    box.appendChild(el("h3", null, label + ": " + doc.id));
    const body = el("div", "text");
    const blob = doc.text ? text(number) : null;
    if (blob) fillText(body, blob, segments);
    else body.appendChild(el("span", "none", doc.note ? "An indexed document: its text is not in this batch." : "Text not available."));
    box.appendChild(body);
    return box;
  }

  function partner(mark) {
    const pair = mark.closest(".pair");
    const mine = mark.closest(".side");
    for (const other of pair.querySelectorAll(".side")) {
      if (other !== mine) return other.querySelector('mark[data-k="' + mark.dataset.k + '"]');
    }
    return null;
  }

  function hover(event, on) {
    const mark = event.target.closest && event.target.closest("mark");
    if (!mark) return;
    mark.classList.toggle("hot", on);
    const other = partner(mark);
    if (other) other.classList.toggle("hot", on);
  }

  function bodyView(cluster, m, k) {
    const body = el("div", "body");
    if (m.reason) body.appendChild(el("p", "reason", m.reason));
    const original = cluster.members[0];
    if (k === 0) {
      body.appendChild(side("original", original.doc, []));
      return body;
    }
    const pair = el("div", "pair");
    pair.append(side("original", original.doc, m.a || []), side(m.relation, m.doc, m.b || []));
    pair.addEventListener("mouseover", (e) => hover(e, true));
    pair.addEventListener("mouseout", (e) => hover(e, false));
    pair.addEventListener("click", (e) => {
      const mark = e.target.closest && e.target.closest("mark");
      const other = mark && partner(mark);
      if (other) other.scrollIntoView({ block: "nearest" });
    });
    body.appendChild(pair);
    return body;
  }

  function headRow() {
    const row = el("div", "head-row");
    for (const name of ["relation", "document", "headline", "similarity", "jaccard", "containment", "coverage", "runs"]) {
      row.appendChild(el("span", null, name));
    }
    return row;
  }

  function memberView(cluster, m, k, q) {
    const doc = DOCS[m.doc];
    const item = el("details", "member");
    item.dataset.relation = m.relation;
    item.dataset.doc = doc.id;
    if (q && (doc.id.toLowerCase().includes(q) || doc.headline.toLowerCase().includes(q))) item.classList.add("hit");
    const row = el("summary");
    row.appendChild(el("span", null)).appendChild(el("span", "rel rel-" + m.relation, m.relation));
    row.appendChild(el("span", "id", doc.id));
    const title = el("span", "headline", doc.headline);
    title.title = doc.headline;
    if (doc.note) title.appendChild(el("span", "note", doc.note));
    row.appendChild(title);
    const original = k === 0;
    row.appendChild(el("span", "num", original ? "" : fixed(m.similarity)));
    row.appendChild(el("span", "num", original ? "" : fixed(m.jaccard)));
    row.appendChild(el("span", "num", original ? "" : fixed(m.containment)));
    row.appendChild(el("span", "num", original ? "" : fixed(m.coverage) + "/" + fixed(m.coverage_of_original)));
    row.appendChild(el("span", "num", original ? "" : String(m.runs)));
    item.appendChild(row);
    const open = () => {
      if (!item.dataset.shown) {
        item.dataset.shown = "1";
        item.appendChild(bodyView(cluster, m, k));
      }
    };
    if (state.open === cluster.id && !original) {
      open();
      item.open = true;
    }
    item.addEventListener("toggle", () => item.open && open());
    return item;
  }

  function clusterView(cluster, q) {
    const section = el("section", "cluster");
    section.id = cluster.id;
    const heading = el("h2");
    const link = el("a", null, cluster.id);
    link.href = "#open=" + cluster.id;
    heading.append(link, ": " + cluster.members.length + " versions of one story");
    section.append(heading, headRow());
    let hidden = 0;
    cluster.members.forEach((m, k) => {
      if (k > 0 && state.relation && m.relation !== state.relation) hidden++;
      else section.appendChild(memberView(cluster, m, k, q));
    });
    if (hidden) {
      section.appendChild(el("p", "hidden-note", hidden + " other member" + (hidden > 1 ? "s" : "") + " hidden by the relation filter"));
    }
    return section;
  }

  function render() {
    const started = performance.now();
    filter();
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (state.open) {
      const at = shown.findIndex((i) => CLUSTERS[i].id === state.open);
      if (at >= 0) state.page = Math.floor(at / PAGE) + 1;
    }
    state.page = Math.min(state.page, pages);
    const q = state.q.trim().toLowerCase();
    const list = document.createDocumentFragment();
    for (const i of shown.slice((state.page - 1) * PAGE, state.page * PAGE)) list.appendChild(clusterView(CLUSTERS[i], q));
    if (!shown.length) list.appendChild(el("p", "empty", "No cluster matches."));
    $("clusters").replaceChildren(list);
    $("count").textContent = shown.length + " of " + CLUSTERS.length + " cluster" + (CLUSTERS.length === 1 ? "" : "s");
    $("page").textContent = "page " + state.page + " of " + pages;
    $("prev").disabled = state.page <= 1;
    $("next").disabled = state.page >= pages;
    $("relation").value = state.relation;
    if (document.activeElement !== $("search")) $("search").value = state.q;
    root.dataset.shown = String(shown.length);
    root.dataset.renderMs = (performance.now() - started).toFixed(1);
    const opened = state.open && document.getElementById(state.open);
    if (opened && opened.getBoundingClientRect().top > window.innerHeight) opened.scrollIntoView();
  }

  function change(update) {
    update();
    writeHash();
    render();
  }

  $("relation").addEventListener("change", (e) => change(() => {
    state.relation = e.target.value;
    state.page = 1;
    state.open = "";
  }));
  let typing = 0;
  $("search").addEventListener("input", (e) => {
    clearTimeout(typing);
    typing = setTimeout(() => change(() => {
      state.q = e.target.value;
      state.page = 1;
      state.open = "";
    }), 150);
  });
  $("prev").addEventListener("click", () => change(() => { state.page -= 1; state.open = ""; }));
  $("next").addEventListener("click", () => change(() => { state.page += 1; state.open = ""; }));
  document.addEventListener("keydown", (e) => {
    if (e.key === "/" && !/^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName)) {
      e.preventDefault();
      $("search").focus();
    }
  });
  window.addEventListener("hashchange", () => {
    readHash();
    render();
  });
  const tooShort = $("too-short");
  if (tooShort) {
    tooShort.addEventListener("toggle", () => {
      const ids = DATA.too_short;
      const listed = ids.slice(0, 5000).join(", ");
      tooShort.querySelector("p").textContent = ids.length > 5000 ? listed + ", … and " + (ids.length - 5000) + " more (see --format json)" : listed;
    }, { once: true });
  }

  readHash();
  render();
  root.dataset.ready = performance.now().toFixed(1);
})();
