"""Reporters: the same Report as human text, JSON, JSON Lines, CSV, the ids to drop, or an HTML page
(`report_html`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any

from .cluster import Cluster, Member
from .result import Report
from .texts import fit, headline

SCHEMA_VERSION = 1
FORMATS = ("text", "json", "jsonl", "csv", "ids", "html")
# Columns of a member's headline in the text report: enough to tell stories apart at a glance,
# and the scores after it stay in line.
HEADLINE_WIDTH = 40
CSV_COLUMNS = (
    "cluster",
    "representative",
    "id",
    "relation",
    "similarity",
    "jaccard",
    "containment",
    "coverage",
    "coverage_of_original",
    "runs",
    "reason",
)


def member_dict(member: Member) -> dict[str, Any]:
    """A member as the JSON schema has it; scores are of the member against the original."""
    if member.scores is None:
        return {
            "id": member.id,
            "relation": member.relation,
            "similarity": 1.0,
            "jaccard": 1.0,
            "containment": 1.0,
            "coverage": 1.0,
            "coverage_of_original": 1.0,
        }
    p = member.scores  # oriented a = original, b = member
    return {
        "id": member.id,
        "relation": member.relation,
        "similarity": round(p.similarity, 4),
        "jaccard": round(p.jaccard, 4),
        "containment": round(p.containment_b, 4),
        "containment_of_original": round(p.containment_a, 4),
        "coverage": round(p.coverage_b, 4),
        "coverage_of_original": round(p.coverage_a, 4),
        "runs": p.runs,
        "reason": p.reason,
    }


def cluster_dict(cluster: Cluster, number: int) -> dict[str, Any]:
    return {
        "id": f"c{number}",
        "representative": cluster.representative,
        "size": len(cluster.members),
        "members": [member_dict(m) for m in cluster.members],
    }


def member_line(member: Member, width: int, where: str = "", head: str | None = None) -> str:
    """One member of a text report: relation, id, its headline `head` (when given: cut or
    padded to HEADLINE_WIDTH columns) and scores, then `where` (e.g. when indexed)."""
    shown = f"{member.id:<{width}}"
    if head is not None:
        shown += "  " + fit(head, HEADLINE_WIDTH)
    if member.scores is None:
        return f"  {'original':<10} {shown}{where}".rstrip()
    d = member_dict(member)
    return (
        f"  {member.relation:<10} {shown}  similarity {d['similarity']:.2f}  "
        f"jaccard {d['jaccard']:.2f}  containment {d['containment']:.2f}  "
        f"coverage {d['coverage']:.2f}/{d['coverage_of_original']:.2f}{where}"
    )


def summary_line(report: Report) -> str:
    n = len(report.clusters)
    return (
        f"{report.documents} documents read, {n} cluster{'s' if n != 1 else ''}, "
        f"{report.clustered} documents in clusters, {len(report.too_short)} too short, "
        f"{report.skipped} skipped"
    )


def to_json(report: Report) -> str:
    return "".join(json_chunks(report))


def json_chunks(report: Report) -> Iterator[str]:
    """`to_json` a cluster at a time: the same text, without holding every cluster's dict and
    the indenting encoder's many small pieces at once."""
    head = {
        "version": SCHEMA_VERSION,
        "config": report.config.as_dict(),
        "documents": report.documents,
        "too_short": report.too_short,
        "skipped": report.skipped,
    }
    if not report.clusters:
        yield json.dumps({**head, "clusters": []}, indent=2, ensure_ascii=False) + "\n"
        return
    opening = json.dumps(head, indent=2, ensure_ascii=False)
    yield opening[: -len("\n}")] + ',\n  "clusters": [\n'
    last = len(report.clusters)
    for n, cluster in enumerate(report.clusters, start=1):
        # a cluster's lines as json.dumps nests them two levels down: "\n" only ever ends a line
        # (a string's own is escaped), where str.splitlines would also break at U+2028 in an id
        text = json.dumps(cluster_dict(cluster, n), indent=2, ensure_ascii=False)
        yield "    " + text.replace("\n", "\n    ") + (",\n" if n < last else "\n")
    yield "  ]\n}\n"


def to_jsonl(report: Report) -> str:
    return "".join(
        json.dumps(cluster_dict(c, n), ensure_ascii=False) + "\n"
        for n, c in enumerate(report.clusters, start=1)
    )


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for n, cluster in enumerate(report.clusters, start=1):
        for member in cluster.members:
            writer.writerow(
                {"cluster": f"c{n}", "representative": cluster.representative, **member_dict(member)}
            )
    return out.getvalue()


def to_text(report: Report, texts: Mapping[str, str] | None = None) -> str:
    """One block per cluster, blocks separated by a blank line (as fdupes does), then a summary.
    With `texts` (each member's text, or its first line at least), each member's headline
    follows its id."""
    blocks = []
    for n, cluster in enumerate(report.clusters, start=1):
        width = max(len(m.id) for m in cluster.members)
        lines = [f"c{n}: {len(cluster.members)} versions of one story"]
        lines.extend(member_line(m, width, head=headline_of(m.id, texts)) for m in cluster.members)
        blocks.append("\n".join(lines))
    tail = summary_line(report)
    if report.too_short:
        tail += "\ntoo short to judge: " + ", ".join(report.too_short)
    return "\n\n".join(blocks + [tail]) + "\n"


def headline_of(doc_id: str, texts: Mapping[str, str] | None) -> str | None:
    """The headline of a document for the text report: None without texts (no column), "" for a
    document whose text is not at hand (an indexed one)."""
    if texts is None:
        return None
    return headline(texts.get(doc_id, ""))


def member_ids(report: Report) -> set[str]:
    """Every document in a cluster."""
    return {m.id for c in report.clusters for m in c.members}


def dropped(report: Report) -> list[str]:
    """The ids to drop so that each story is kept once, sorted: every member of a cluster but its
    original, each once however many clusters hold it. A document that is the original of one
    cluster and `extended` in others (a page that carries several stories) is kept: dropping it
    would drop the only full version of its own story, whose other members are dropped too."""
    originals = {c.members[0].id for c in report.clusters}
    extended: dict[str, bool] = {}  # a non-original member: is it `extended` in every cluster?
    for cluster in report.clusters:
        for m in cluster.members[1:]:
            extended[m.id] = extended.get(m.id, True) and m.relation == "extended"
    return sorted(d for d, only_extended in extended.items() if not (only_extended and d in originals))


def to_ids(report: Report) -> str:
    """The ids to drop (`dropped`), one a line."""
    return "".join(d + "\n" for d in dropped(report))


def render(report: Report, fmt: str, texts: Mapping[str, str] | None = None) -> str:
    """`report` in format `fmt`; `texts` (members' texts by id) give the text report its
    headlines and the HTML report its passages."""
    return "".join(render_chunks(report, fmt, texts))


def render_chunks(report: Report, fmt: str, texts: Mapping[str, str] | None = None) -> Iterator[str]:
    """`render` in pieces, to be written as they come (JSON a cluster at a time, HTML a document
    at a time)."""
    if fmt == "json":
        yield from json_chunks(report)
    elif fmt == "html":
        from .report_html import html_chunks  # Jinja2 is loaded only for an HTML report

        yield from html_chunks(report, texts or {})
    elif fmt == "text":
        yield to_text(report, texts)
    else:
        yield {"jsonl": to_jsonl, "csv": to_csv, "ids": to_ids}[fmt](report)
