"""The HTML report: one self-contained page (CSS and JavaScript inline, nothing fetched) to
review clusters in a browser.

The page is a Jinja2 template (autoescaped) around data: the clusters and their members as JSON
in a `<script type="application/json">`, and each document's text, with where its prose segments
lie, in a block of its own that is parsed only when a comparison shows it. The script lists a page
of clusters at a time, filters by relation, searches ids and headlines, and shows a member beside
its original with the passages they share (`PairScores.matched_a` / `matched_b`, the alignment
`dedupe explain` prints) highlighted; so 10,000 clusters open and scroll like ten.

Everything that comes from the input is text to the page: the template escapes it, JSON in a
script element has `<`, `>` and `&` escaped (a `</script>` in a document cannot end the element),
the script inserts it with `textContent`, never as markup, and a Content-Security-Policy lets
only the report's own script and style run and nothing be loaded.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from . import __version__
from .cluster import RELATIONS
from .report import dropped, member_dict
from .result import Report
from .texts import headline, prose_spans

# A text longer than this is shown cut (with a note): a 100 MB page would freeze the comparison.
MAX_TEXT_CHARS = 200_000
# Clusters a page of the report lists (the script's own constant is set from this).
PAGE_SIZE = 50


def script_json(value: Any) -> Markup:
    """`value` as JSON that is safe inside a `<script>` element: `<`, `>` and `&` are escaped as
    \\u003c, \\u003e and \\u0026 (JSON.parse reads them back), so no text can close the element or
    open a comment; U+2028 and U+2029 are escaped too."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return Markup(text)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("news_dedupe", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


@cache
def _asset(name: str) -> str:
    return (resources.files("news_dedupe") / "templates" / name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def html_chunks(
    report: Report,
    texts: Mapping[str, str],
    indexed: Mapping[str, str] | None = None,
    index: Mapping[str, Any] | None = None,
) -> Iterator[str]:
    """The page in pieces. `texts`: the members' texts by id (a member without one is listed
    without passages); `indexed` (`dedupe check`): the indexed members, each with a line saying
    when and from where it was added (they are never counted among the documents to drop, as
    `dedupe check --format ids` lists none); `index`: what `dedupe check` compared the batch with."""
    notes = indexed or {}
    numbers: dict[str, int] = {}  # document id -> its number in `docs`, in order of first sight
    docs: list[dict[str, Any]] = []
    clusters: list[dict[str, Any]] = []
    relations: Counter[str] = Counter()
    for n, cluster in enumerate(report.clusters, start=1):
        members = []
        for m in cluster.members:
            if m.id not in numbers:
                numbers[m.id] = len(docs)
                text = texts.get(m.id)
                docs.append(
                    {
                        "id": m.id,
                        "headline": headline(text) if text is not None else "",
                        "note": notes.get(m.id, ""),
                        "text": text is not None,
                    }
                )
            row = member_dict(m)
            del row["id"]
            row["doc"] = numbers[m.id]
            if m.scores is not None:
                row["a"], row["b"] = list(m.scores.matched_a), list(m.scores.matched_b)
            members.append(row)
            relations[m.relation] += 1
        clusters.append({"id": f"c{n}", "members": members})
    data = {"page_size": PAGE_SIZE, "too_short": report.too_short, "docs": docs, "clusters": clusters}
    script, style = _asset("report.js"), _asset("report.css")
    summary = {
        "documents": report.documents,
        "clusters": len(report.clusters),
        "clustered": report.clustered,
        "too_short": len(report.too_short),
        "skipped": report.skipped,
        "dropped": sum(d not in notes for d in dropped(report)),
    }
    template = _environment().get_template("report.html")
    yield from template.generate(
        version=__version__,
        summary=summary,
        relations=[(r, relations[r]) for r in RELATIONS if relations[r]],
        index=index,
        data=script_json(data),
        documents=_document_blocks(docs, texts, report),
        script=Markup(script),
        style=Markup(style),
        csp=f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'",
    )


def _document_blocks(
    docs: list[dict[str, Any]], texts: Mapping[str, str], report: Report
) -> Iterator[tuple[int, Markup]]:
    """(number, JSON) of each document whose text is at hand: the text (cut at MAX_TEXT_CHARS)
    and the (start, end) of each of its prose segments."""
    for k, doc in enumerate(docs):
        text = texts.get(doc["id"])
        if text is None:
            continue
        spans = prose_spans(text, report.config)
        cut = len(text) > MAX_TEXT_CHARS
        if cut:
            text = text[:MAX_TEXT_CHARS]
            spans = [(min(a, MAX_TEXT_CHARS), min(b, MAX_TEXT_CHARS)) for a, b in spans]  # kept by index
        yield k, script_json({"text": text, "spans": spans, "cut": cut})
