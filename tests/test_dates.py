"""Publication dates: read from records, kept through profiles, spills and indexes, and used by
verification: a reworded version is filed within days, a copy may come any time."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from news_dedupe.cli import cli
from news_dedupe.config import Config
from news_dedupe.dates import DAY, BadDate, days_apart, parse_date
from news_dedupe.loader import LoadOptions, load
from news_dedupe.profiling import profile_documents
from news_dedupe.spill import ProfileSpill
from news_dedupe.store_base import dump_profile, load_profile
from news_dedupe.verify import profile, verify
from news_dedupe.vocabulary import Vocabulary

ORIGINAL = "001_0cbfd229ab594fd8.txt"
PAGE = "003_c4c92065ccfd9160.txt"  # 001 carried whole on a page with other stories
REWORDED = ("000_159ea15f3dd1f5af.txt", "002_456f058fb562b431.txt", "004_e12faccc1f133855.txt")
MARCH_3 = datetime(1987, 3, 3, 9, 16, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(
    "value",
    [
        "1987-03-03T09:16:00Z",
        "1987-03-03 09:16",
        "3-MAR-1987 09:16:00.00",
        "Tue, 03 Mar 1987 09:16:00 GMT",
        "3-MAR-1987 09:16:00.00&#5;&#5;&#5;RM",  # Reuters-21578 keeps codes after the time
        "1987-03-03T10:16:00+01:00",
        MARCH_3,
        int(MARCH_3 * 1000),  # milliseconds
        datetime(1987, 3, 3, 9, 16),
    ],
)
def test_a_date_in_any_common_form_is_read_as_utc_seconds(value):
    assert parse_date(value) == pytest.approx(MARCH_3)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_value_is_no_date(value):
    assert parse_date(value) is None


@pytest.mark.parametrize("value", ["yesterday", "n/a", True, ["1987-03-03"], float("nan")])
def test_a_value_that_is_no_date_is_refused(value):
    with pytest.raises(BadDate):
        parse_date(value)


def test_days_apart_needs_both_dates():
    assert days_apart(0.0, 3 * DAY) == days_apart(3 * DAY, 0.0) == 3.0
    assert days_apart(None, 0.0) is None and days_apart(0.0, None) is None


def _records(seed_docs, days: dict[str, float | None]) -> list[dict[str, object]]:
    rows = []
    for doc_id, offset in days.items():
        row: dict[str, object] = {"id": doc_id, "text": seed_docs[doc_id].text}
        if offset is not None:
            row["date"] = datetime.fromtimestamp(MARCH_3 + offset * DAY, timezone.utc).isoformat()
        rows.append(row)
    return rows


def test_loader_reads_dates_from_json_lines_csv_and_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [{"id": "a", "text": "one", "when": "1987-03-03 09:16"}, {"id": "b", "text": "two", "when": None}]
    jsonl = tmp_path / "feed.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    csv = tmp_path / "feed.csv"
    csv.write_text("id,text,when\na,one,1987-03-03 09:16\nb,two,\n", encoding="utf-8")
    parquet = tmp_path / "feed.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    for path in (jsonl, csv, parquet):
        docs = list(load([str(path)], LoadOptions(date_field="when")))
        assert [(d.id, d.date) for d in docs] == [("a", pytest.approx(MARCH_3)), ("b", None)], path
        assert all(d.date is None for d in load([str(path)], LoadOptions()))  # no "date" field
    assert all(d.date is None for d in load([str(jsonl)], LoadOptions(date_field="")))


def test_a_bad_date_is_a_warning_naming_the_line_and_the_record_is_read_undated(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text('{"id": "a", "text": "one", "date": "soon"}\n', encoding="utf-8")
    warnings = []
    docs = list(load([str(path)], LoadOptions(), warn=warnings.append))
    assert [(d.id, d.date) for d in docs] == [("a", None)]
    assert [(w.kind, w.skipped) for w in warnings] == [("bad-date", False)]
    assert warnings[0].message == f"{path}: line 1: 'soon' is not a date: read as undated"


def _dated(seed_docs, doc_id: str, offset_days: float | None):
    date = None if offset_days is None else MARCH_3 + offset_days * DAY
    return profile(doc_id, seed_docs[doc_id].text, Config(), date)


@pytest.mark.parametrize("other", REWORDED)
def test_a_reworded_version_filed_days_later_is_another_report(seed_docs, other):
    """Seeds 000, 002 and 004 reword 001: a version within the days a wire re-files a story, a
    later report (the next week's template, a follow-up) when filed further apart."""
    original = _dated(seed_docs, ORIGINAL, 0)
    assert verify(_dated(seed_docs, other, 2), original, Config()).duplicate
    assert verify(_dated(seed_docs, other, None), original, Config()).duplicate  # undated: text only
    later = verify(_dated(seed_docs, other, 9), original, Config())
    assert not later.duplicate
    assert later.reason == (
        "a later report: published 9.0 days apart and reworded, not copied "
        "(a version that rewords is filed within 5 days)"
    )
    assert verify(_dated(seed_docs, other, 9), original, Config(reworded_days=0)).duplicate  # off


def test_a_copy_is_a_version_however_much_later(seed_docs):
    """A page that carries the story whole, weeks later, still copies it."""
    scores = verify(_dated(seed_docs, ORIGINAL, 0), _dated(seed_docs, PAGE, 30), Config())
    assert scores.duplicate, scores.reason


def test_dates_survive_a_spill_and_an_index(seed_docs):
    docs = [d.__class__(d.id, d.text, d.source, MARCH_3 + k * DAY) for k, d in enumerate(seed_docs.values())]
    spill = profile_documents(docs, Config(), spill=ProfileSpill(Vocabulary())).profiles
    assert [spill[k].date for k in range(len(docs))] == [d.date for d in sorted(docs, key=lambda d: d.id)]
    for doc in docs:
        p = profile(doc.id, doc.text, Config(), doc.date)
        assert load_profile(dump_profile(p), Config()).date == doc.date
    undated = profile(docs[0].id, docs[0].text, Config())
    assert load_profile(dump_profile(undated), Config()).date is None


def test_a_run_on_dated_records_keeps_copies_and_parts_later_rewordings(seed_docs, tmp_path):
    """End to end on JSON Lines: the original, its page and a rewrite of the same days form one
    story; the summaries, dated ten days later, are reports of their own."""
    days = {ORIGINAL: 0, PAGE: 20, REWORDED[1]: 1, REWORDED[0]: 10, REWORDED[2]: 10}
    path = tmp_path / "wire.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _records(seed_docs, days)), encoding="utf-8")
    result = CliRunner().invoke(cli, [str(path), "--format", "json"], catch_exceptions=False)
    clusters = json.loads(result.stdout)["clusters"]
    assert [sorted(m["id"] for m in c["members"]) for c in clusters] == [
        sorted([ORIGINAL, PAGE, REWORDED[1]])
    ]
    undated = CliRunner().invoke(cli, [str(path), "--format", "json", "--date-field", ""])
    assert [c["size"] for c in json.loads(undated.stdout)["clusters"]] == [5]
