"""news_dedupe.dask_engine: the same report as the local engine, on a LocalCluster of two worker
processes; a killed worker and bad input."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the Dask engine needs the extra `dask`")

from news_dedupe import dask_engine  # noqa: E402
from news_dedupe.cli import EXIT_ERROR, cli  # noqa: E402
from news_dedupe.config import Config  # noqa: E402
from news_dedupe.dask_engine import dask_client, find_duplicates_dask  # noqa: E402
from news_dedupe.loader import LoadOptions  # noqa: E402
from news_dedupe.loader_formats import read_parquet  # noqa: E402
from news_dedupe.pipeline import find_in_files  # noqa: E402
from news_dedupe.report import to_json  # noqa: E402


@pytest.fixture(scope="module")
def client():
    """One LocalCluster of two single-threaded worker processes for the module."""
    with dask_client(None, 2) as c:
        yield c


def _local(paths: list[str], options: LoadOptions | None = None) -> str:
    return to_json(find_in_files(paths, options, jobs=1))


def _dask(client, paths: list[str], options: LoadOptions | None = None, **kwargs) -> str:
    return to_json(find_duplicates_dask(paths, options, Config(), client=client, **kwargs))


def _words(rng: random.Random, vocab: list[str], n: int) -> str:
    glue = ["the", "of", "and", "in", "to", "was", "that", "with", "for", "on"]
    return " ".join(rng.choice(glue) if rng.random() < 0.35 else rng.choice(vocab) for _ in range(n))


@pytest.fixture(scope="module")
def dev_corpus(tmp_path_factory, fixtures_dir: Path) -> Path:
    """About 700 documents in seven files of four formats: distinct articles and their versions
    (copies, truncated summaries, reworded copies, pages carrying two stories), the seeds and
    the fixture cases; ids repeat across two files."""
    rng = random.Random(7)
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "sha", "dor", "qui", "bel", "ton"]
    vocab = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(3000)})
    articles = []
    for i in range(420):
        title = _words(rng, vocab, 7).capitalize()
        body = "\n\n".join(_words(rng, vocab, rng.randint(12, 22)).capitalize() + "." for _ in range(8))
        articles.append((f"a{i:04d}", f"{title}\n\n{body}"))
    versions = []
    for n, (doc_id, text) in enumerate(articles[:240]):
        kind = n % 4
        lines = text.split("\n\n")
        if kind == 0:
            versions.append((f"{doc_id}-copy", text.replace(". ", ".  ")))
        elif kind == 1:
            versions.append((f"{doc_id}-summary", "\n\n".join(lines[:4])))
        elif kind == 2:
            words = text.split(" ")
            for k in rng.sample(range(len(words)), len(words) // 8):
                words[k] = rng.choice(vocab)
            versions.append((f"{doc_id}-reworded", " ".join(words)))
        else:
            versions.append((f"{doc_id}-page", text + "\n\n" + articles[-1 - n][1]))
    everything = articles + versions
    rng.shuffle(everything)
    root = tmp_path_factory.mktemp("dev")
    folder = root / "corpus"
    (folder / "2024").mkdir(parents=True)
    parts = [everything[k::5] for k in range(5)]
    (folder / "2024" / "a.txt").write_text("".join(f"==> {i} <==\n{t}\n\n" for i, t in parts[0]), "utf-8")
    (folder / "2024" / "b.jsonl").write_text(
        "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in parts[1]), "utf-8"
    )
    with gzip.open(folder / "2024" / "c.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps({"id": i, "text": t}) + "\n" for i, t in parts[2])
    (folder / "d.tsv").write_text(
        "id\ttext\n" + "".join(f"{i}\t{t.replace(chr(10), ' ')}\n" for i, t in parts[3]), "utf-8"
    )
    (folder / "e.jsonl").write_text(  # ids repeated from b.jsonl: renamed id~2 as one loader does
        "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in parts[1][:5] + parts[4]), "utf-8"
    )
    for name in ("seeds.txt", "cases/page.txt", "cases/chrome.txt"):
        (folder / name.replace("/", "-")).write_bytes((fixtures_dir / name).read_bytes())
    return folder


def test_seeds_report_is_byte_identical_through_the_cli(runner, seeds_path: Path) -> None:
    """`dedupe find --engine dask` prints the local engine's text and JSON reports byte for byte."""
    for fmt in ("text", "json"):
        args = ["find", str(seeds_path), "--format", fmt, "--jobs", "2"]
        local = runner.invoke(cli, args, catch_exceptions=False)
        dask = runner.invoke(cli, [*args, "--engine", "dask"], catch_exceptions=False)
        assert local.exit_code == dask.exit_code == 0
        assert dask.stdout == local.stdout


def test_dev_corpus_report_is_byte_identical(client, dev_corpus: Path) -> None:
    """A folder of seven files of four formats, each id once: the same JSON report."""
    local = _local([str(dev_corpus)])
    assert json.loads(local)["clusters"]
    assert _dask(client, [str(dev_corpus)]) == local


def test_files_split_into_partitions_give_the_same_report(client, dev_corpus: Path, monkeypatch) -> None:
    """Files read as many partitions each (every k-th chunk), given as a glob and as files."""
    monkeypatch.setattr(dask_engine, "SPLIT_BYTES", 20_000)
    paths = [str(dev_corpus / "2024" / "*"), str(dev_corpus / "d.tsv"), str(dev_corpus / "e.jsonl")]
    assert max(n for _, _, n in dask_engine.partitions(paths)) > 3
    assert _dask(client, paths) == _local(paths)


def test_a_join_in_waves_gives_the_same_report(client, dev_corpus: Path, monkeypatch) -> None:
    """Candidate joins run in several waves of documents (a tiny pair budget): the same report."""
    monkeypatch.setattr(dask_engine, "PAIRS_PER_WAVE", 20_000)
    waves: set[str] = set()

    def progress(stage: str, done: int, total: int) -> None:
        if "wave" in stage:
            waves.add(stage)

    assert _dask(client, [str(dev_corpus)], progress=progress) == _local([str(dev_corpus)])
    assert any(w.startswith("dask rare candidate pairs (wave 3 of 3") for w in waves)


def test_multi_file_text_report_through_the_cli(runner, dev_corpus: Path) -> None:
    """The text report (headlines come from the workers) of several files and a folder."""
    args = ["find", str(dev_corpus / "2024"), str(dev_corpus / "e.jsonl"), str(dev_corpus / "seeds.txt")]
    local = runner.invoke(cli, [*args, "--jobs", "1"], catch_exceptions=False)
    dask = runner.invoke(cli, [*args, "--engine", "dask", "--jobs", "2"], catch_exceptions=False)
    assert local.exit_code == dask.exit_code == 0
    assert "versions of one story" in local.stdout
    assert dask.stdout == local.stdout


def test_a_killed_worker_is_retried_and_the_report_is_the_same(client, dev_corpus: Path, monkeypatch) -> None:
    """A worker killed (SIGKILL) while partitions are read: Dask runs its tasks again elsewhere."""
    monkeypatch.setattr(dask_engine, "SPLIT_BYTES", 20_000)
    expected = _local([str(dev_corpus)])
    pids = sorted(client.run(os.getpid).values())
    killed: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "read" and not killed:
            os.kill(pids[-1], signal.SIGKILL)
            killed.append(pids[-1])

    assert _dask(client, [str(dev_corpus)], progress=progress) == expected
    assert killed
    client.wait_for_workers(2, timeout=60)
    assert pids[-1] not in client.run(os.getpid).values()


def test_bad_input_is_one_line_and_exit_2(runner, tmp_path: Path) -> None:
    """A malformed record read on a worker stops the run: one line naming file and line, exit 2;
    --skip-bad-records passes over it."""
    bad = tmp_path / "bad.jsonl"
    text = "The harbour council approved the ferry budget after a long debate about the old pier. " * 3
    bad.write_text(json.dumps({"id": "ok", "text": text}) + "\n{not json\n", "utf-8")
    result = runner.invoke(cli, ["find", str(bad), "--engine", "dask", "--jobs", "2"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.splitlines() == [
        f"error: {bad}: line 2: not valid JSON (Expecting property name enclosed in double quotes);"
        " use --skip-bad-records to pass over bad records"
    ]
    skipped = runner.invoke(cli, ["find", str(bad), "--engine", "dask", "--jobs", "2", "--skip-bad-records"])
    assert skipped.exit_code == 0, skipped.stderr
    assert "1 skipped" in skipped.stdout


def _parquet(path: Path, records: list[dict], group: int) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.Table.from_pylist(records), path, row_group_size=group)


def _no_bad(number: int, reason: str, fix: str = "") -> None:
    raise AssertionError(reason)


def test_parquet_row_groups_are_read_by_range(client, dev_corpus: Path, tmp_path: Path, monkeypatch) -> None:
    """A Parquet file read as several partitions, each only its row groups (an id repeated in a
    later group, rows numbered as in the file, a blank row): the local engine's report and
    warnings."""
    import pyarrow.parquet as pq_

    texts = [json.loads(line) for line in (dev_corpus / "2024" / "b.jsonl").read_text("utf-8").splitlines()]
    records = [{"id": r["id"], "text": r["text"]} for r in texts]
    records[90]["id"] = records[3]["id"]  # renamed id~2 in the local engine too
    records[50]["text"] = "   "
    path = tmp_path / "t.parquet"
    _parquet(path, records, 16)
    whole = list(read_parquet(str(path), "t", "id", "text", _no_bad))
    groups = pq_.ParquetFile(path).metadata.num_row_groups
    ranges = [list(read_parquet(str(path), "t", "id", "text", _no_bad, "", k, 4)) for k in range(4)]
    assert [x for r in ranges for x in r] == whole
    assert all(0 < len(r) <= 16 * -(-groups // 4) for r in ranges)  # its own row groups only
    monkeypatch.setattr(dask_engine, "SPLIT_BYTES", 1_000)
    assert dask_engine.partitions([str(path)])[0][2] > 3
    local_warnings: list = []
    dask_warnings: list = []
    local = to_json(find_in_files([str(path)], None, jobs=1, warn=local_warnings.append))
    assert json.loads(local)["clusters"]
    assert _dask(client, [str(path)], warn=dask_warnings.append) == local
    assert [w.message for w in dask_warnings] == [w.message for w in local_warnings]
    assert any("renamed" in w.message for w in local_warnings)


def test_a_bad_parquet_row_in_a_later_row_group(runner, tmp_path: Path, monkeypatch) -> None:
    """A bad row in a later range of row groups: one line naming the file and the row, exit 2,
    as the local engine says it; --skip-bad-records passes over it."""
    text = "The harbour council approved the ferry budget after a long debate about the old pier. " * 3
    records = [{"id": f"d{k}", "text": f"{text} Item {k}."} for k in range(40)]
    records[33]["text"] = None
    path = tmp_path / "bad.parquet"
    _parquet(path, records, 5)
    monkeypatch.setattr(dask_engine, "SPLIT_BYTES", 500)
    assert dask_engine.partitions([str(path)])[0][2] > 3
    args = ["find", str(path), "--jobs", "2"]
    local = runner.invoke(cli, args)
    result = runner.invoke(cli, [*args, "--engine", "dask"])
    assert result.exit_code == local.exit_code == EXIT_ERROR
    assert result.stderr == local.stderr
    assert result.stderr.splitlines() == [
        f"error: {path}: record 34: field 'text' is not a string;"
        " use --skip-bad-records to pass over bad records"
    ]
    skipped = runner.invoke(cli, [*args, "--engine", "dask", "--skip-bad-records"])
    local_skipped = runner.invoke(cli, [*args, "--skip-bad-records"])
    assert skipped.exit_code == 0, skipped.stderr
    assert skipped.stdout == local_skipped.stdout and "1 skipped" in skipped.stdout


def test_scheduler_needs_the_dask_engine(runner, seeds_path: Path) -> None:
    """--scheduler without --engine dask is a usage error, not ignored."""
    result = runner.invoke(cli, ["find", str(seeds_path), "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr == "error: --scheduler needs --engine dask\n"


def test_ctrl_c_stops_the_cluster_and_exits_130(dev_corpus: Path) -> None:
    """Ctrl-C while the workers run: the LocalCluster the run started is stopped, exit 130."""
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from news_dedupe.cli import main; main()", "find", str(dev_corpus)]
        + ["--engine", "dask", "--jobs", "2", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal leaves it
    )
    deadline = time.monotonic() + 30
    kids: list = []
    while len(kids) < 2 and time.monotonic() < deadline:  # the two workers have started
        time.sleep(0.2)
        kids = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) == 130
    assert proc.stderr is not None and proc.stderr.read().decode() == "interrupted\n"
    time.sleep(1)
    assert not [k for k in kids if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
