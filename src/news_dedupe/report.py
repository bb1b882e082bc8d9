"""Reporters: the same Report as human text, JSON, JSON Lines or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from .cluster import Cluster, Member
from .pipeline import Report

SCHEMA_VERSION = 1
FORMATS = ("text", "json", "jsonl", "csv")
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


def member_line(member: Member, width: int, where: str = "") -> str:
    """One member of a text report: relation, id and scores, then `where` (e.g. when indexed)."""
    if member.scores is None:
        return f"  {'original':<10} {member.id:<{width}}{where}".rstrip()
    d = member_dict(member)
    return (
        f"  {member.relation:<10} {member.id:<{width}}  similarity {d['similarity']:.2f}  "
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


def to_text(report: Report) -> str:
    """One block per cluster, blocks separated by a blank line (as fdupes does), then a summary."""
    blocks = []
    for n, cluster in enumerate(report.clusters, start=1):
        width = max(len(m.id) for m in cluster.members)
        lines = [f"c{n}: {len(cluster.members)} versions of one story"]
        lines.extend(member_line(member, width) for member in cluster.members)
        blocks.append("\n".join(lines))
    tail = summary_line(report)
    if report.too_short:
        tail += "\ntoo short to judge: " + ", ".join(report.too_short)
    return "\n\n".join(blocks + [tail]) + "\n"


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": to_text,
    "json": to_json,
    "jsonl": to_jsonl,
    "csv": to_csv,
}


def render(report: Report, fmt: str) -> str:
    return RENDERERS[fmt](report)


def render_chunks(report: Report, fmt: str) -> Iterator[str]:
    """`render` in pieces, to be written as they come (JSON a cluster at a time)."""
    if fmt == "json":
        yield from json_chunks(report)
    else:
        yield render(report, fmt)
