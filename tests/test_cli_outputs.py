"""Outputs to act on a report: `--format ids` (the ids to drop) and `--write-unique` (the corpus
without its duplicates), for `dedupe find` and `dedupe check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from news_dedupe.cli import cli
from news_dedupe.loader import load

FAST = ["--num-perm", "64", "--bands", "32"]
ORIGINAL = "001_0cbfd229ab594fd8.txt"
PAGE = "003_c4c92065ccfd9160.txt"


def invoke(runner, *args, ok=True, **kwargs):
    """Run `dedupe ARGS`; on happy paths let exceptions through (catch_exceptions=False)."""
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=not ok, **kwargs)


def records(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def corpus(seeds_path, cases_dir) -> list[str]:
    """The seeds, a brief fixture (two alerts and a copy join a story, one alert is too short to
    judge) and a follow-up of the seeds' story that carries a copy of their original (read as
    `001_…txt~2`)."""
    return [str(seeds_path), str(cases_dir / "brief.txt"), str(cases_dir / "followup.txt")]


def test_ids_of_the_seeds_are_the_four_versions(runner, seeds_path, seed_docs):
    """--format ids: every member of the seeds' cluster but its original, one a line, sorted."""
    result = invoke(runner, seeds_path, "--format", "ids")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == "".join(f"{d}\n" for d in sorted(seed_docs) if d != ORIGINAL)


def test_ids_name_a_page_of_several_stories_once(runner, cases_dir):
    """A page that carries four stories is a member of four clusters and is printed once."""
    result = invoke(runner, cases_dir / "page.txt", "--format", "ids")
    assert result.exit_code == 0
    assert result.stdout == f"{PAGE}\n"


def test_write_unique_keeps_originals_unique_and_too_short_documents(runner, corpus, tmp_path):
    """--write-unique: every document read but the ids to drop, in input order, with its text as
    read; a document too short to judge is kept; stdout still carries the report alone."""
    out = tmp_path / "unique.jsonl"
    drop = set(invoke(runner, *corpus, "--format", "ids").stdout.split())
    result = invoke(runner, *corpus, "--write-unique", out)
    assert result.exit_code == 0
    assert result.stdout == invoke(runner, *corpus).stdout
    docs = list(load(corpus))
    assert records(out) == [{"id": d.id, "text": d.text} for d in docs if d.id not in drop]
    kept = {r["id"] for r in records(out)}
    assert {ORIGINAL, "ferries_original", "museum_alert"} <= kept
    versions = {d for d in drop if d[:3] in ("000", "002", "003", "004")}
    assert drop - versions == {
        f"{ORIGINAL}~2",
        "ferries_alert",
        "ferries_alert_respelled",
        "ferries_syndicated",
    }
    assert len(versions) == 4 and not drop & kept


def test_write_unique_with_any_report_format(runner, seeds_path, tmp_path):
    """The unique corpus is the same whatever the report's format."""
    outs = []
    for fmt in ("text", "json", "csv"):
        outs.append(tmp_path / f"{fmt}.jsonl")
        assert invoke(runner, seeds_path, "--format", fmt, "--write-unique", outs[-1]).exit_code == 0
    assert outs[0].read_bytes() == outs[1].read_bytes() == outs[2].read_bytes()
    assert [r["id"] for r in records(outs[0])] == [ORIGINAL]


def test_write_unique_reads_stdin_once(runner, seeds_path, tmp_path):
    """Documents from stdin are written too: the texts were kept as they were read."""
    out = tmp_path / "unique.jsonl"
    result = invoke(runner, "-", "--write-unique", out, input=seeds_path.read_text(encoding="utf-8"))
    assert result.exit_code == 0
    assert [r["id"] for r in records(out)] == [ORIGINAL]


def test_write_unique_replaces_a_file_and_a_failed_run_leaves_it(runner, seeds_path, fixtures_dir, tmp_path):
    """The file is replaced whole; a run that fails (nothing long enough to compare) leaves the old
    one as it was and no temporary file beside it."""
    out = tmp_path / "unique.jsonl"
    out.write_text("old\n", encoding="utf-8")
    failed = invoke(runner, fixtures_dir / "bad" / "too_short.txt", "--write-unique", out, ok=False)
    assert failed.exit_code == 2
    assert out.read_text(encoding="utf-8") == "old\n"
    assert invoke(runner, seeds_path, "--write-unique", out).exit_code == 0
    assert [r["id"] for r in records(out)] == [ORIGINAL]
    assert [p.name for p in tmp_path.iterdir()] == ["unique.jsonl"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--write-unique", "-"], "error: --write-unique: give a file (stdout carries the report)\n"),
        (
            ["--write-unique", "{out}", "-o", "{out}"],
            "error: --write-unique {out}: the report goes there too (-o); give another file\n",
        ),
    ],
    ids=["stdout", "same-as-report"],
)
def test_write_unique_needs_a_file_of_its_own(runner, seeds_path, tmp_path, args, message):
    """--write-unique to stdout, or to the report's file: exit 2, one line, nothing written."""
    out = str(tmp_path / "both.jsonl")
    result = invoke(runner, seeds_path, *[a.format(out=out) for a in args], ok=False)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message.format(out=out))
    assert list(tmp_path.iterdir()) == []


def test_write_unique_into_a_missing_folder_is_exit_2(runner, seeds_path, tmp_path):
    """An unwritable --write-unique path: exit 2, one line naming it."""
    out = tmp_path / "missing" / "unique.jsonl"
    result = invoke(runner, seeds_path, "--write-unique", out, ok=False)
    assert result.exit_code == 2
    assert result.stderr == f"error: {out}: cannot write output (No such file or directory)\n"


def test_check_ids_are_the_new_documents_to_drop(runner, seeds_path, seed_docs, tmp_path):
    """`dedupe check --format ids` lists the batch's documents to drop, never an indexed one."""
    index = tmp_path / "index.db"
    original = tmp_path / "original.txt"
    original.write_text(seed_docs[ORIGINAL].text, encoding="utf-8")
    assert invoke(runner, "index", "add", "--index", index, original, *FAST).exit_code == 0
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        "".join(
            json.dumps({"id": d, "text": doc.text}) + "\n" for d, doc in seed_docs.items() if d != ORIGINAL
        )
    )
    result = invoke(runner, "check", "--index", index, batch, "--format", "ids", *FAST)
    assert result.exit_code == 0
    listed = result.stdout.split()
    assert listed and str(original) not in listed and set(listed) <= set(seed_docs) - {ORIGINAL}
