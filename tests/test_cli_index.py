"""`dedupe check` and `dedupe index …`: the batch gate end to end, on SQLite and on Redis."""

from __future__ import annotations

import csv
import io
import json
import os
import pathlib
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime

import pytest
from click.testing import CliRunner
from redis_server import free_port, fresh_index, redis_server

from news_dedupe.cli import cli
from news_dedupe.loader import LoadOptions, load

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fixtures" / "seeds.txt"
FAST = ["--num-perm", "64", "--bands", "32"]  # small signatures: fast, and pinned against default changes
UNRELATED = (
    "The city council voted on Tuesday to extend the opening hours of the public library on weekends, "
    "after a survey found that most residents wanted to use it on Saturday and Sunday afternoons. The "
    "change will cost the city about forty thousand dollars a year, the council said, and it will start "
    "in the spring when new staff have been hired and trained to run the building."
)
OTHER_STORY = (
    "Heavy rain flooded several roads in the north of the county overnight, and the fire service "
    "rescued two drivers whose cars had stalled in deep water near the old mill. Forecasters said that "
    "more rain was expected on Thursday and asked people to avoid travelling unless it was necessary."
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["sqlite", "redis"])
def index(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    """A new index for each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "index.db")
    return fresh_index(request.getfixturevalue("redis_url"))


def write_docs(path: pathlib.Path, docs: list[tuple[str, str]]) -> str:
    path.write_text("".join(f"==> {i} <==\n{t}\n" for i, t in docs), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    return {d.id: d.text for d in load([str(SEEDS)], LoadOptions())}


@pytest.fixture
def batches(seeds: dict[str, str], tmp_path: pathlib.Path) -> tuple[str, str, list[str]]:
    """old.txt with seeds 001 and 003, new.txt with 000, 002, 004 and an unrelated story."""
    ids = sorted(seeds)
    old = write_docs(tmp_path / "old.txt", [(ids[1], seeds[ids[1]]), (ids[3], seeds[ids[3]])])
    new = write_docs(
        tmp_path / "new.txt",
        [
            (ids[0], seeds[ids[0]]),
            (ids[2], seeds[ids[2]]),
            (ids[4], seeds[ids[4]]),
            ("unrelated.txt", UNRELATED),
        ],
    )
    return old, new, ids


def run(runner: CliRunner, *args: str, ok: bool = True):
    result = runner.invoke(cli, list(args), catch_exceptions=not ok)
    if ok:
        assert result.exit_code in (0, 1), result.stderr
    return result


def one_error_line(result, *fragments: str) -> None:
    """Exit 2 and a single `error: …` line on stderr holding `fragments`; no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


def index_ids(runner: CliRunner, index: str) -> list[str]:
    """Every id in the index (prune --dry-run with age 0 lists them all)."""
    result = run(runner, "index", "prune", "--index", index, "--older-than", "0s", "--dry-run")
    return result.stdout.split()


# -- the two-batch scenario ---------------------------------------------------------------------


def test_check_against_index(runner: CliRunner, index: str, batches) -> None:
    """New versions of a story cluster with its indexed versions, which keep their ids and dates."""
    old, new, ids = batches
    before = time.time()
    added = run(runner, "index", "add", "--index", index, old, *FAST)
    assert added.exit_code == 0 and added.stdout == ""
    assert "2 documents added, 2 in the index" in added.stderr
    result = run(runner, "check", "--index", index, new, "--format", "json", *FAST)
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert len(report["clusters"]) == 1
    members = {m["id"]: m for m in report["clusters"][0]["members"]}
    assert sorted(members) == ids
    for doc_id in (ids[1], ids[3]):
        m = members[doc_id]
        assert m["indexed"] is True and m["source"].startswith(old + ":")
        assert before - 1 <= datetime.fromisoformat(m["added"]).timestamp() <= time.time() + 1
    assert all(members[i]["indexed"] is False for i in (ids[0], ids[2], ids[4]))
    assert report["documents"] == 4 and report["index"]["documents"] == 2
    assert report["index"]["added"] is None


def test_fail_on_duplicates_and_add(runner: CliRunner, index: str, batches) -> None:
    """--fail-on-duplicates exits 1 on a duplicate; --add adds only the documents in no cluster."""
    old, new, ids = batches
    run(runner, "index", "add", "--index", index, old, *FAST)
    assert run(runner, "check", "--index", index, new, "--fail-on-duplicates", *FAST).exit_code == 1
    assert index_ids(runner, index) == sorted([ids[1], ids[3]])
    result = run(
        runner, "check", "--index", index, new, "--add", "--fail-on-duplicates", "--format", "json", *FAST
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["index"]["added"] == ["unrelated.txt"]
    assert sorted(index_ids(runner, index)) == sorted([ids[1], ids[3], "unrelated.txt"])
    clean = write_docs(
        pathlib.Path(old).parent / "clean.txt",
        [("other.txt", UNRELATED.replace("city", "town")), ("rain.txt", OTHER_STORY)],
    )
    again = run(runner, "check", "--index", index, clean, "--fail-on-duplicates", "--format", "json", *FAST)
    assert again.exit_code == 1  # a near-copy of what --add indexed
    assert {m["id"] for m in json.loads(again.stdout)["clusters"][0]["members"]} == {
        "other.txt",
        "unrelated.txt",
    }


def test_text_csv_jsonl_reports(runner: CliRunner, index: str, batches) -> None:
    """Every format marks indexed members; the text report says when and from where they came."""
    old, new, ids = batches
    run(runner, "index", "add", "--index", index, old, *FAST)
    text = run(runner, "check", "--index", index, new, *FAST).stdout
    assert text.startswith("c1: 5 versions of one story\n")
    assert f"{ids[1]}" in text and "(indexed " in text and f"from {old}:1)" in text
    assert "4 documents read, 1 cluster" in text and "2 indexed documents, 2 in clusters" in text
    rows = list(
        csv.DictReader(
            io.StringIO(run(runner, "check", "--index", index, new, "--format", "csv", *FAST).stdout)
        )
    )
    assert {r["id"]: r["indexed"] for r in rows} == {
        i: ("true" if i in (ids[1], ids[3]) else "false") for i in ids
    }
    assert all(r["added"] for r in rows if r["indexed"] == "true")
    lines = run(runner, "check", "--index", index, new, "--format", "jsonl", *FAST).stdout.splitlines()
    assert len(lines) == 1 and sum(m["indexed"] for m in json.loads(lines[0])["members"]) == 2


def test_same_id_is_already_indexed(runner: CliRunner, index: str, batches, seeds) -> None:
    """A batch document whose id is indexed is not checked again, and a warning says so."""
    old, _new, ids = batches
    run(runner, "index", "add", "--index", index, old, *FAST)
    batch = write_docs(
        pathlib.Path(old).parent / "again.txt", [(ids[1], seeds[ids[1]]), ("unrelated.txt", UNRELATED)]
    )
    result = run(runner, "check", "--index", index, batch, "--format", "json", *FAST)
    assert result.exit_code == 0 and json.loads(result.stdout)["clusters"] == []
    assert json.loads(result.stdout)["index"]["already_indexed"] == [ids[1]]
    assert (
        f"warning: {ids[1]} (added " in result.stderr
        and f"from {old}:1): already indexed; not checked" in result.stderr
    )
    added = run(runner, "index", "add", "--index", index, old, *FAST)
    assert f"from {old}:1): already indexed; skipped" in added.stderr
    assert "0 documents added, 2 in the index" in added.stderr


def test_check_from_another_folder_finds_the_same_ids(
    runner: CliRunner, index: str, seeds, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder indexed from inside its parent and checked from higher up has the same ids: its
    documents are already indexed, not duplicates of themselves."""
    ids = sorted(seeds)
    batch = tmp_path / "proj" / "batch"
    batch.mkdir(parents=True)
    for name in (ids[1], ids[3]):
        (batch / name).write_text(seeds[name], encoding="utf-8")
    monkeypatch.chdir(tmp_path / "proj")
    run(runner, "index", "add", "--index", index, "batch", *FAST)
    monkeypatch.chdir(tmp_path)
    result = run(runner, "check", "--index", index, "proj/batch/", "--format", "json", *FAST)
    report = json.loads(result.stdout)
    assert report["clusters"] == []
    assert report["index"]["already_indexed"] == [f"batch/{ids[1]}", f"batch/{ids[3]}"]
    assert sorted(index_ids(runner, index)) == [f"batch/{ids[1]}", f"batch/{ids[3]}"]


def test_info_remove_prune(runner: CliRunner, index: str, batches, tmp_path: pathlib.Path) -> None:
    """info shows counts, parameters and dates; remove and prune take documents out."""
    old, new, ids = batches
    run(runner, "index", "add", "--index", index, old, *FAST)
    run(runner, "index", "add", "--index", index, new, *FAST)
    info = json.loads(run(runner, "index", "info", "--index", index, "--format", "json", "--verify").stdout)
    assert info["documents"] == 6 and info["words"] > 100
    assert info["parameters"]["num_perm"] == "64" and info["parameters"]["scheme"] == "affine32"
    assert info["created"] <= info["updated"]
    text = run(runner, "index", "info", "--index", index).stdout
    assert "documents   6\n" in text and "num_perm=64 lsh_bands=32 rows=2" in text

    removed = run(runner, "index", "remove", "--index", index, ids[0], "no-such-id")
    assert removed.exit_code == 0 and "1 document removed" in removed.stderr
    assert "warning: no-such-id: not in the index" in removed.stderr
    assert ids[0] not in index_ids(runner, index)

    # make one document 40 days old
    if index.startswith("redis://"):
        import redis

        from news_dedupe.store_redis import split_spec

        url, prefix, _ = split_spec(index)
        r = redis.Redis.from_url(url)
        r.zadd(prefix + "added", {ids[1]: time.time() - 40 * 86400})
    else:
        with sqlite3.connect(index) as db:
            db.execute("UPDATE documents SET added = added - 40 * 86400 WHERE id = ?", (ids[1],))
    assert (
        run(runner, "index", "prune", "--index", index, "--older-than", "30d", "--dry-run").stdout
        == ids[1] + "\n"
    )
    pruned = run(runner, "index", "prune", "--index", index, "--older-than", "4w")
    assert "1 document added before" in pruned.stderr
    assert sorted(index_ids(runner, index)) == sorted([ids[2], ids[3], ids[4], "unrelated.txt"])
    after = json.loads(run(runner, "index", "info", "--index", index, "--format", "json", "--verify").stdout)
    assert after["documents"] == 4
    bad = runner.invoke(cli, ["index", "prune", "--index", index, "--older-than", "30 days"])
    assert bad.exit_code == 2 and "--older-than" in bad.stderr and "s, m, h, d or w" in bad.stderr


def test_other_parameters_are_refused(runner: CliRunner, index: str, batches) -> None:
    """A check whose hashing options differ from the index's exits 2 and says what differs."""
    old, new, _ = batches
    run(runner, "index", "add", "--index", index, old, *FAST)
    result = runner.invoke(cli, ["check", "--index", index, new, "--num-perm", "128", "--bands", "32"])
    one_error_line(
        result,
        f"{index}: built with num_perm=64, rows=2, this run has num_perm=128, rows=4",
        "use the same options or a new index",
    )
    assert runner.invoke(cli, ["check", "--index", index, new, *FAST, "--contained", "0.8"]).exit_code == 0


def test_preset_keeps_the_index_hashing(runner: CliRunner, index: str, batches) -> None:
    """`check --preset strict` against an index built with the defaults uses strict's thresholds
    and the index's bands (strict's own 64 bands are for runs without an index); -v says so."""
    old, new, _ = batches
    run(runner, "index", "add", "--index", index, old)
    result = run(runner, "check", "--index", index, new, "--preset", "strict", "--format", "json", "-v")
    config = json.loads(result.stdout)["config"]
    assert (config["lsh_bands"], config["num_perm"], config["contained"], config["brief_match"]) == (
        128,
        256,
        0.95,
        0.0,
    )
    assert "hashing fields from the index: lsh_bands=128" in result.stderr.splitlines()
    added = run(runner, "index", "add", "--index", index, new, "--preset", "strict")
    assert "documents added" in added.stderr


def test_check_add_creates_the_index(runner: CliRunner, tmp_path: pathlib.Path, batches) -> None:
    """`check --add` on a missing index creates it (a first CI run); plain `check` refuses."""
    _old, new, ids = batches
    path = str(tmp_path / "first.db")
    one_error_line(runner.invoke(cli, ["check", "--index", path, new, *FAST]), "no such index")
    result = run(runner, "check", "--index", path, new, "--add", "--format", "json", *FAST)
    report = json.loads(result.stdout)
    assert report["clusters"] == []  # 000, 002 and 004 are versions of one story only through 001/003
    assert sorted(report["index"]["added"]) == sorted([ids[0], ids[2], ids[4], "unrelated.txt"])


def test_candidate_limits(runner: CliRunner, index: str, batches) -> None:
    """A batch with more candidates than --max-candidates / --max-compared stops: exit 2, one line."""
    old, new, _ = batches
    run(runner, "index", "add", "--index", index, old, *FAST)
    result = runner.invoke(cli, ["check", "--index", index, new, "--max-candidates", "1", *FAST])
    one_error_line(
        result, f"error: {index}: 4 new documents, more than 1 candidate pairs", "--max-candidates"
    )
    result = runner.invoke(cli, ["check", "--index", index, new, "--max-compared", "1", *FAST])
    one_error_line(result, "more than 1 indexed documents to compare")
    assert run(runner, "check", "--index", index, new, "--max-candidates", "0", *FAST).exit_code == 0


def test_env_var_names_the_index(runner: CliRunner, tmp_path: pathlib.Path, batches) -> None:
    """DEDUPE_INDEX stands in for --index."""
    old, _new, _ids = batches
    path = str(tmp_path / "env.db")
    result = runner.invoke(cli, ["index", "add", old, *FAST], env={"DEDUPE_INDEX": path})
    assert result.exit_code == 0 and os.path.exists(path)


# -- indexes that cannot be used ------------------------------------------------------------------


def test_unusable_index_files(runner: CliRunner, tmp_path: pathlib.Path, batches) -> None:
    """A text file, a foreign database, a corrupt index or none at all: exit 2, one line naming it."""
    old, new, _ = batches
    text = tmp_path / "notes.txt"
    text.write_text("not an index\n" * 200)
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (a)")
    good = str(tmp_path / "good.db")
    run(runner, "index", "add", "--index", good, old, new, *FAST)
    corrupt = tmp_path / "corrupt.db"
    data = bytearray(pathlib.Path(good).read_bytes())
    corrupt.write_bytes(bytes(data[:4096]) + b"\xff" * (len(data) - 4096))
    cases = [
        (["check", "--index", str(text), new], "not a news-dedupe index"),
        (["index", "add", "--index", str(text), new], "not a news-dedupe index"),
        (["index", "info", "--index", str(foreign)], "without a meta table"),
        (["index", "add", "--index", str(foreign), new], "without a meta table"),
        (["check", "--index", str(corrupt), new, *FAST], "corrupt"),
        (["check", "--index", str(tmp_path / "missing.db"), new], "no such index"),
        (["index", "info", "--index", str(tmp_path)], "is a directory"),
    ]
    for args, fragment in cases:
        path = args[args.index("--index") + 1]
        one_error_line(runner.invoke(cli, args), f"error: {path}: ", fragment)
    assert not (tmp_path / "missing.db").exists()


def test_unreachable_redis(runner: CliRunner, batches) -> None:
    """A Redis URL on a closed port: exit 2 and one line naming it."""
    _old, new, _ = batches
    url = f"redis://127.0.0.1:{free_port()}/0"
    one_error_line(
        runner.invoke(cli, ["check", "--index", url, new]), f"error: {url}: cannot reach the Redis server"
    )
    one_error_line(runner.invoke(cli, ["index", "info", "--index", url]), f"error: {url}: ")


# -- processes ------------------------------------------------------------------------------------


def generated_corpus(path: pathlib.Path, n: int, seed: int) -> str:
    """`n` distinct prose-like documents with ids prefixed by the seed."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "sha", "dor", "qui", "bel", "ton"]
    vocab = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(5000)]
    glue = ["the", "of", "and", "in", "to", "was", "that", "with", "for", "on"]
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            words = [
                rng.choice(glue) if rng.random() < 0.35 else rng.choice(vocab)
                for _ in range(rng.randint(40, 90))
            ]
            sentences = [" ".join(words[k : k + 12]).capitalize() + "." for k in range(0, len(words), 12)]
            out.write(f"==> s{seed}-{i:05d} <==\n{' '.join(sentences)}\n")
    return str(path)


def dedupe(*args: str) -> list[str]:
    return [sys.executable, "-c", "from news_dedupe.cli import main; main()", *args]


def test_concurrent_index_add_processes(index: str, tmp_path: pathlib.Path) -> None:
    """Two `dedupe index add` processes on one new index: both batches arrive whole."""
    a = generated_corpus(tmp_path / "a.txt", 300, seed=1)
    b = generated_corpus(tmp_path / "b.txt", 300, seed=2)
    procs = [
        subprocess.Popen(
            dedupe("index", "add", "--index", index, path, *FAST), stderr=subprocess.PIPE, text=True
        )
        for path in (a, b)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    info = subprocess.run(
        dedupe("index", "info", "--index", index, "--format", "json", "--verify"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(info.stdout)["documents"] == 600
    ids = subprocess.run(
        dedupe("index", "prune", "--index", index, "--older-than", "0s", "--dry-run"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(ids) == sorted([f"s1-{i:05d}" for i in range(300)] + [f"s2-{i:05d}" for i in range(300)])


def test_kill_during_index_add(tmp_path: pathlib.Path) -> None:
    """kill -9 while `index add` writes leaves an index that opens and verifies, with all of the
    batch or none of it."""
    index = str(tmp_path / "index.db")
    first = generated_corpus(tmp_path / "first.txt", 50, seed=3)
    subprocess.run(dedupe("index", "add", "--index", index, first, *FAST), check=True, capture_output=True)
    big = generated_corpus(tmp_path / "big.txt", 8000, seed=4)
    proc = subprocess.Popen(
        dedupe("index", "add", "--index", index, big, "-v", *FAST), stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "write under way" in line:  # the write transaction is open: it lasts about a second
            break
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    rest = proc.stderr.read()
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(index) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        assert db.execute("SELECT COUNT(*) FROM documents WHERE id LIKE 's4-%'").fetchone()[0] in (0, 8000)
    assert count == (8050 if "written" in rest else 50)
    info = subprocess.run(
        dedupe("index", "info", "--index", index, "--format", "json", "--verify"),
        capture_output=True,
        text=True,
    )
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["documents"] == count


def test_an_index_keeps_dates_so_a_later_rewording_is_another_report(
    runner: CliRunner, index: str, seeds: dict[str, str], tmp_path: pathlib.Path
) -> None:
    """The original, indexed with its date, meets a rewrite filed the next day and the same
    rewrite filed a fortnight later: only the first is its version."""
    ids = sorted(seeds)  # 000 summary, 001 original, 002 rewrite, ...

    def feed(name: str, rows: list[tuple[str, str, str]]) -> str:
        path = tmp_path / name
        lines = (json.dumps({"id": i, "text": t, "date": d}) + "\n" for i, t, d in rows)
        path.write_text("".join(lines), encoding="utf-8")
        return str(path)

    old = feed("old.jsonl", [(ids[1], seeds[ids[1]], "2026-03-02T10:00:00Z")])
    run(runner, "index", "add", "--index", index, old, *FAST)
    for day, clusters in (("2026-03-03T08:00:00Z", 1), ("2026-03-16T08:00:00Z", 0)):
        new = feed("new.jsonl", [(ids[2], seeds[ids[2]], day)])
        result = run(runner, "check", "--index", index, new, "--format", "json", *FAST)
        assert len(json.loads(result.stdout)["clusters"]) == clusters, day
