"""Input as crawlers write it, through `dedupe find`: one real sample file per format; bad input
that is passed over with a one-line warning, or stops the run with exit 2 and a one-line error,
never a traceback; Ctrl-C (exit 130); and no output file ever left half-written or broken.

The sample files are made by fixtures/formats/make.py and fixtures/bad/make.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from news_dedupe.cli import cli
from news_dedupe.loader import load

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FORMATS = FIXTURES / "formats"
BAD = FIXTURES / "bad"
SEEDS_READ = "5 documents read, 1 cluster, 5 documents in clusters"
ORIGINAL, COPY = "militias-reuters", "militias-wire-copy"
OLD_REPORT = "the report of an earlier run\n"


def invoke(runner, *args, ok=True):
    """Run `dedupe ARGS`; on happy paths let exceptions through (catch_exceptions=False)."""
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=not ok)


def clusters(stdout: str) -> list[set[str]]:
    """The member ids of each cluster of a JSON report."""
    return [{m["id"] for m in c["members"]} for c in json.loads(stdout)["clusters"]]


def dedupe_script() -> str:
    """The installed `dedupe` command of the Python that runs the tests."""
    found = shutil.which("dedupe", path=str(Path(sys.executable).parent)) or shutil.which("dedupe")
    if found is None:
        pytest.skip("the dedupe command is not installed")
    return found


@pytest.fixture
def in_formats(monkeypatch):
    """Run from fixtures/formats, so that ids and messages carry short paths."""
    monkeypatch.chdir(FORMATS)


@pytest.fixture
def in_fixtures(monkeypatch):
    """Run from fixtures/, so that messages say bad/FILE and the seeds are `seeds.txt`."""
    monkeypatch.chdir(FIXTURES)


@pytest.fixture
def old_report(tmp_path) -> Path:
    """An output file an earlier run wrote, alone in its folder."""
    out = tmp_path / "out" / "report.json"
    out.parent.mkdir()
    out.write_text(OLD_REPORT, encoding="utf-8")
    return out


def assert_untouched(report: Path) -> None:
    """The earlier report is as it was, and no temporary file is left beside it."""
    assert report.read_text(encoding="utf-8") == OLD_REPORT
    assert sorted(p.name for p in report.parent.iterdir()) == [report.name]


# --- every format, from a real sample file -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "needs"),
    [
        ("stories.jsonl", None),
        ("stories.csv", None),
        ("stories.tsv", None),
        ("stories.parquet", "pyarrow.parquet"),
        ("stories.txt.gz", None),
        ("stories.txt.bz2", None),
        ("stories.txt.xz", None),
        ("stories.txt.zst", "zstandard"),
        ("no_suffix.txt", None),
        ("utf16.txt", None),
    ],
)
def test_format_sample(runner, in_formats, name, needs):
    """Each format's sample gives its three stories, and the two versions of one story cluster."""
    if needs:
        pytest.importorskip(needs)
    result = invoke(runner, "find", name, "--format", "json")
    assert result.exit_code == 0
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert (data["documents"], data["too_short"], data["skipped"]) == (3, [], 0)
    assert clusters(result.stdout) == [{ORIGINAL, COPY}]


def test_compressed_without_suffix_is_named_under_verbose(runner, in_formats):
    """bzip2 data in a file named .txt is decompressed, not read as garbled text; -v says so."""
    result = invoke(runner, "find", "no_suffix.txt", "--format", "json", "-v")
    assert "no_suffix.txt: bzip2 data without a .bz2 suffix, decompressed" in result.stderr.splitlines()


def test_utf16_with_bom(runner, in_formats):
    """A UTF-16 file with a byte order mark reads like its UTF-8 twin; -v names the encoding."""
    result = invoke(runner, "find", "utf16.txt", "--format", "json", "-v")
    assert result.exit_code == 0
    assert "utf16.txt: decoded as UTF-16-LE (byte order mark)" in result.stderr.splitlines()
    texts = {d.id: d.text for d in load(["stories.jsonl"])}
    assert {d.id: d.text.rstrip("\n") for d in load(["utf16.txt"])} == texts


def test_latin1_with_a_pound_sign_is_not_read_as_cp932(runner, in_formats):
    """A mostly-ASCII Latin-1 story whose sample charset-normalizer takes for cp932 is read as
    cp1252: "£" and "é" come through, and the encoding is named under -v only."""
    pytest.importorskip("charset_normalizer")
    (doc,) = load(["latin1.txt"])
    assert "Dupont, a \u00a315.8m signing" in doc.text
    assert "striker S\u00e9bastien Dupont" in doc.text
    assert "\uff63" not in doc.text and doc.text.isascii() is False
    quiet = invoke(runner, "find", "latin1.txt", "--format", "json")
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    verbose = invoke(runner, "find", "latin1.txt", "--format", "json", "-v")
    assert "latin1.txt: decoded as cp1252" in verbose.stderr.splitlines()


def test_legacy_encoding_is_detected(runner, in_formats):
    """A cp1252 file is detected (charset-normalizer), named under -v only, and decoded exactly."""
    pytest.importorskip("charset_normalizer")
    quiet = invoke(runner, "find", "cp1252.txt", "--format", "json")
    assert quiet.exit_code == 0
    assert quiet.stderr == ""
    assert json.loads(quiet.stdout)["documents"] == 2
    assert clusters(quiet.stdout) == [{ORIGINAL, COPY}]
    verbose = invoke(runner, "find", "cp1252.txt", "--format", "json", "-v")
    assert "cp1252.txt: decoded as cp1252" in verbose.stderr.splitlines()
    texts = {d.id: d.text for d in load(["stories.jsonl"])}
    assert {d.id: d.text.rstrip("\n") for d in load(["cp1252.txt"])} == {
        k: texts[k] for k in (ORIGINAL, COPY)
    }


def test_glob_pattern(runner, in_formats):
    """A glob names the files it matches (sorted); a file it does not match is not read."""
    result = invoke(runner, "find", "batch/part-*.txt", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["documents"] == 3
    assert clusters(result.stdout) == [{"batch/part-1.txt", "batch/part-2.txt"}]


def test_saved_html_pages(runner, in_formats):
    """A saved page is named by its canonical URL, or by its folder and file name when it gives none."""
    pytest.importorskip("trafilatura")
    result = invoke(runner, "find", "page_canonical.html", "page_plain.html", "--format", "json")
    assert result.exit_code == 0
    assert result.stderr == ""
    canonical = "https://news.example.org/2021/12/iran-militias"
    assert clusters(result.stdout) == [{canonical, "formats/page_plain.html"}]


def test_warc_archive(runner, in_formats):
    """A WARC gives one document per HTML page answered 200, named by its URL."""
    pytest.importorskip("warcio")
    pytest.importorskip("trafilatura")
    result = invoke(runner, "find", "crawl.warc.gz", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["documents"] == 3  # not the image, not the 404 page
    assert clusters(result.stdout) == [
        {
            "https://news.example.org/2021/12/iran-militias",
            "https://wire.example.net/world/iran-militias-copy",
        }
    ]


# --- passed over with a warning: the run goes on -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "warning", "summary"),
    [
        (
            "image.png",
            "bad/image.png: byte 8: NUL byte, looks like a binary file, skipped",
            f"{SEEDS_READ}, 0 too short, 1 skipped",
        ),
        (
            "invalid_utf8.txt",
            "bad/invalid_utf8.txt: byte 320: invalid UTF-8, decoded with replacement",
            "6 documents read, 1 cluster, 5 documents in clusters, 0 too short, 0 skipped",
        ),
        ("empty.txt", "bad/empty.txt: empty file, skipped", f"{SEEDS_READ}, 0 too short, 1 skipped"),
        (
            "tiny.pdf",
            "bad/tiny.pdf: a PDF file, not supported (extract its text first), skipped",
            f"{SEEDS_READ}, 0 too short, 1 skipped",
        ),
        (
            "only_separators.txt",
            "bad/only_separators.txt: only separators, no text, skipped",
            f"{SEEDS_READ}, 0 too short, 1 skipped",
        ),
        (
            "repeated_ids.jsonl",
            "bad/repeated_ids.jsonl: line 2: duplicate id 'story-1', renamed 'story-1~2'",
            "7 documents read, 1 cluster, 5 documents in clusters, 0 too short, 0 skipped",
        ),
    ],
)
def test_passed_over_with_one_warning(runner, in_fixtures, name, warning, summary):
    """Between other inputs, a bad file costs one warning line naming it and the place; the
    summary counts what was passed over."""
    result = invoke(runner, "find", "seeds.txt", f"bad/{name}")
    assert result.exit_code == 0
    assert result.stderr == f"warning: {warning}\n"
    assert result.stdout.splitlines()[-1] == summary


def test_invalid_utf8_offset_is_the_bad_byte(in_fixtures):
    """The offset in the invalid-UTF-8 warning is where the bad byte is in the file."""
    assert (BAD / "invalid_utf8.txt").read_bytes().index(b"\xff") == 320
    text = next(iter(load(["bad/invalid_utf8.txt"]))).text
    assert text.count("\ufffd") == 1 and text.startswith("The council\u2019s \u201cnight bus\u201d")


@pytest.mark.parametrize(
    ("name", "reason", "documents"),
    [
        ("malformed.jsonl", "line 2: not valid JSON (Expecting ',' delimiter)", 7),
        ("no_text.jsonl", "line 2: no 'text' field (fields: id, body, url)", 6),
        ("malformed.csv", "line 3: malformed CSV (',' expected after '\"')", 7),
        ("unclosed_quote.csv", "line 3: a quoted field is never closed: lines 3-4 would be one field", 6),
        ("unclosed_quote.tsv", "line 3: a quoted field is never closed: lines 3-4 would be one field", 6),
        ("extra_fields.csv", "line 3: 3 fields where the header has 2 (a comma in an unquoted field?)", 6),
    ],
)
def test_skip_bad_records(runner, in_fixtures, name, reason, documents):
    """With --skip-bad-records a malformed record is one warning naming file and line, and is
    counted as skipped; the records around it are read."""
    result = invoke(runner, "find", "seeds.txt", f"bad/{name}", "--skip-bad-records", "--format", "json")
    assert result.exit_code == 0
    assert result.stderr == f"warning: bad/{name}: {reason}, record skipped\n"
    data = json.loads(result.stdout)
    assert (data["documents"], data["skipped"]) == (documents, 1)


def test_every_warning_at_once(runner, in_fixtures):
    """All the passed-over cases in one run: one line each, and the summary counts each skip."""
    names = ["image.png", "empty.txt", "only_separators.txt", "malformed.jsonl", "malformed.csv"]
    result = invoke(runner, "find", "seeds.txt", *[f"bad/{n}" for n in names], "--skip-bad-records")
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in lines] == [f"bad/{n}" for n in names]
    assert all(line.startswith("warning: ") for line in lines)
    assert result.stdout.splitlines()[-1].endswith(", 0 too short, 5 skipped")


def test_too_short_document_is_counted(runner, in_fixtures):
    """A document too short to judge does not stop the run; the summary counts it and names it."""
    result = invoke(runner, "find", "seeds.txt", "bad/too_short.txt")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-2:] == [
        "6 documents read, 1 cluster, 5 documents in clusters, 1 too short, 0 skipped",
        "too short to judge: bad/too_short.txt",
    ]


def test_too_short_document_warns(runner, in_fixtures):
    """A document too short to judge gets one warning line on stderr naming it."""
    result = invoke(runner, "find", "seeds.txt", "bad/too_short.txt")
    assert result.exit_code == 0
    (line,) = result.stderr.splitlines()
    assert line.startswith("warning: bad/too_short.txt: ") and "too short" in line


# --- the run stops: exit 2, one error line, the earlier output untouched -------------------------


def assert_fails(runner, report: Path, args, message: str) -> None:
    """`dedupe find ARGS -o REPORT` exits 2 with `error: MESSAGE` as its one error line, prints
    no report and no traceback, and leaves the earlier report as it was."""
    result = invoke(runner, "find", *args, "--format", "json", "-o", report, ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    assert errors == [f"error: {message}"]
    assert "Traceback" not in result.stderr
    assert isinstance(result.exception, SystemExit)  # not an exception click had to catch
    assert_untouched(report)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nope.txt", "bad/nope.txt: no such file"),
        (
            "malformed.jsonl",
            "bad/malformed.jsonl: line 2: not valid JSON (Expecting ',' delimiter); "
            "use --skip-bad-records to pass over bad records",
        ),
        (
            "malformed.csv",
            "bad/malformed.csv: line 3: malformed CSV (',' expected after '\"'); "
            "use --skip-bad-records to pass over bad records",
        ),
        (
            "unclosed_quote.csv",
            "bad/unclosed_quote.csv: line 3: a quoted field is never closed: lines 3-4 would be one field; "
            "use --skip-bad-records to pass over bad records",
        ),
        (
            "extra_fields.csv",
            "bad/extra_fields.csv: line 3: 3 fields where the header has 2 (a comma in an unquoted field?); "
            "use --skip-bad-records to pass over bad records",
        ),
        (
            "no_text.jsonl",
            "bad/no_text.jsonl: line 2: no 'text' field (fields: id, body, url); choose the text field "
            "with --text-field (here perhaps --text-field body), or use --skip-bad-records to pass over "
            "bad records",
        ),
        (
            "truncated.txt.gz",
            "bad/truncated.txt.gz: truncated or corrupt gzip stream "
            "(Compressed file ended before the end-of-stream marker was reached)",
        ),
        (
            "corrupt.txt.gz",
            "bad/corrupt.txt.gz: truncated or corrupt gzip stream "
            "(Error -3 while decompressing data: invalid bit length repeat)",
        ),
        (
            "truncated.txt.bz2",
            "bad/truncated.txt.bz2: truncated or corrupt bzip2 stream "
            "(Compressed file ended before the end-of-stream marker was reached)",
        ),
        (
            "truncated.txt.xz",
            "bad/truncated.txt.xz: truncated or corrupt xz stream "
            "(Compressed file ended before the end-of-stream marker was reached)",
        ),
        (
            "truncated.txt.zst",
            "bad/truncated.txt.zst: truncated or corrupt zstd stream (ended inside a frame)",
        ),
    ],
)
def test_stops_with_exit_2(runner, in_fixtures, old_report, name, message):
    """Input that cannot be used stops the run: exit 2, one line naming the file and the place."""
    if name.endswith(".zst"):
        pytest.importorskip("zstandard")
    assert_fails(runner, old_report, ["seeds.txt", f"bad/{name}"], message)


def test_nothing_left_to_compare(runner, in_fixtures, old_report):
    """When every input is passed over or too short, there is nothing to compare: exit 2."""
    names = [f"bad/{n}" for n in ("empty.txt", "only_separators.txt", "image.png", "too_short.txt")]
    message = "nothing to compare: no document long enough was read from " + ", ".join(names)
    assert_fails(runner, old_report, names, message)


def test_empty_folder_says_no_files(runner, tmp_path, old_report):
    """A folder without files: exit 2, one line saying no files were found there, naming it."""
    empty = tmp_path / "incoming"
    (empty / "sub").mkdir(parents=True)
    (empty / ".hidden.txt").write_text("a hidden file is not read\n")
    assert_fails(runner, old_report, [empty], f"{empty}: no files found in the folder")


def test_unreadable_file(runner, tmp_path, old_report, monkeypatch):
    """A file that cannot be opened for lack of permission: exit 2, 'permission denied'.

    As root, chmod 000 does not stop reading: the refusal the kernel gives other users is
    simulated at the loader's open() instead.
    """
    secret = tmp_path / "secret.txt"
    secret.write_text("Locked away.\n", encoding="utf-8")
    secret.chmod(0)
    if os.geteuid() == 0:
        import news_dedupe.loader as loader

        def refuse(path, mode="r", *args, **kwargs):
            if Path(path) == secret:
                raise PermissionError(13, "Permission denied", str(path))
            return open(path, mode, *args, **kwargs)

        monkeypatch.setattr(loader, "open", refuse, raising=False)
    try:
        assert_fails(runner, old_report, [FIXTURES / "seeds.txt", secret], f"{secret}: permission denied")
    finally:
        secret.chmod(0o600)


@pytest.mark.parametrize("where", ["missing/report.json", "a_file/report.json"])
def test_output_that_cannot_be_written(runner, tmp_path, where):
    """-o into a folder that does not exist (or is a file): exit 2 naming the path, no file made."""
    (tmp_path / "a_file").write_text("not a folder\n")
    out = tmp_path / where
    result = invoke(runner, "find", FIXTURES / "seeds.txt", "-o", out, ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    reason = "No such file or directory" if where.startswith("missing") else "Not a directory"
    assert result.stderr == f"error: {out}: cannot write output ({reason})\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


# --- folders, big documents -----------------------------------------------------------------


def test_symlink_loop_is_walked_once(runner, tmp_path, seed_docs):
    """A folder with links back to itself and its parent is walked once: each file read once."""
    story = seed_docs["001_0cbfd229ab594fd8.txt"].text
    (tmp_path / "top" / "sub").mkdir(parents=True)
    (tmp_path / "top" / "a.txt").write_text(story, encoding="utf-8")
    (tmp_path / "top" / "sub" / "b.txt").write_text(story, encoding="utf-8")
    os.symlink("..", tmp_path / "top" / "sub" / "up")
    os.symlink(".", tmp_path / "top" / "here")
    result = invoke(runner, "find", tmp_path / "top", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["documents"] == 2
    assert clusters(result.stdout) == [{"top/a.txt", "top/sub/b.txt"}]


def test_links_pointing_at_each_other(runner, tmp_path):
    """Two links that point at each other lead nowhere: exit 2, and the message says why."""
    (tmp_path / "top").mkdir()
    os.symlink("b", tmp_path / "top" / "a")
    os.symlink("a", tmp_path / "top" / "b")
    result = invoke(runner, "find", tmp_path / "top", ok=False)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path / 'top' / 'a'}: symbolic link loop (the links point at each other)\n"
    )


# The issue asks for 100 MB; here that run takes 35-45 s (peak 1.1 GB; 2.0 GB before the compact
# profiles of d34021c), nearly all of it in verify.profile, which tokenizes the whole text; the
# loader alone peaks near 0.3 GB. 30 MB takes 10-16 s and peaks near 0.4 GB.
BIG_MB = 30


def test_one_huge_line_in_bounded_memory(tmp_path):
    """A 30 MB document on one line is read as one document, with peak memory under 1.5 GB."""
    sentences = [
        f"The harbour board met on day {n} and agreed to repair berth {n % 17} before the winter storms. "
        for n in range(1000)
    ]
    block = "".join(sentences).encode()
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        for _ in range(BIG_MB * (1 << 20) // len(block)):
            f.write(block)
        f.write(b"\n")
    out = tmp_path / "report.json"
    measure = textwrap.dedent(
        """
        import resource, subprocess, sys
        done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
        sys.stderr.write(done.stderr)
        print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        """
    )
    cmd = [dedupe_script(), "find", str(big), "--format", "json", "-o", str(out)]
    done = subprocess.run(
        [sys.executable, "-c", measure, *cmd], capture_output=True, text=True, timeout=180, cwd=tmp_path
    )
    code, peak = map(int, done.stdout.split())
    peak_bytes = peak if sys.platform == "darwin" else peak * 1024
    assert code == 0, done.stderr
    assert "Traceback" not in done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["documents"], data["too_short"], data["skipped"]) == (1, [], 0)
    assert peak_bytes < 1.5 * (1 << 30)


# --- Ctrl-C ----------------------------------------------------------------------------------


def interrupt_a_run(tmp_path: Path, out: Path) -> subprocess.CompletedProcess:
    """Start `dedupe find BIG --format json -o OUT`, press Ctrl-C once it is working, wait."""
    big = tmp_path / "big.txt"
    if not big.exists():
        big.write_bytes(b"Ferry crews waited for the storm to pass before the crossing. " * 160_000 + b"\n")
    proc = subprocess.Popen(
        [dedupe_script(), "find", str(big), "--format", "json", "-o", str(out), "-v", "-j", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert proc.stderr is not None
    try:
        first = proc.stderr.readline()  # -v: the configuration, printed just before reading starts
        assert first.startswith("config: "), first
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, first + stderr)


def test_ctrl_c_exits_130_and_writes_nothing(tmp_path):
    """Ctrl-C during a run: exit 130, 'interrupted', no report file and no temporary file."""
    out = tmp_path / "out.json"
    done = interrupt_a_run(tmp_path, out)
    assert done.returncode == 130, done.stderr
    assert done.stderr.endswith("interrupted\n")
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not out.exists()
    assert not list(tmp_path.glob(".dedupe-*"))


def test_ctrl_c_leaves_an_earlier_report_unchanged(tmp_path):
    """Ctrl-C during a run that would replace a report leaves the earlier report as it was."""
    out = tmp_path / "out.json"
    out.write_text(OLD_REPORT, encoding="utf-8")
    done = interrupt_a_run(tmp_path, out)
    assert done.returncode == 130, done.stderr
    assert out.read_text(encoding="utf-8") == OLD_REPORT
    assert not list(tmp_path.glob(".dedupe-*"))


def test_ctrl_c_while_the_report_is_written(runner, in_fixtures, old_report, monkeypatch):
    """Ctrl-C at the moment the report replaces the old one: exit 130, old report whole."""

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr("news_dedupe.cli.os.replace", interrupted)
    result = invoke(runner, "find", "seeds.txt", "--format", "json", "-o", old_report, ok=False)
    assert result.exit_code == 130
    assert result.stderr == "interrupted\n"
    assert_untouched(old_report)


def test_ctrl_c_with_jobs_prints_no_traceback(tmp_path, seed_docs):
    """Ctrl-C while --jobs workers verify pairs: exit 130 and 'interrupted', no worker traceback."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("workers are forked only where fork exists")
    story = seed_docs["001_0cbfd229ab594fd8.txt"].text
    corpus = tmp_path / "copies.txt"  # 64 copies: 2016 pairs, enough for the worker pool
    corpus.write_text("".join(f"==> copy-{n} <==\n{story}\n" for n in range(64)), encoding="utf-8")
    # The first worker to verify a pair presses Ctrl-C for the whole process group, as a terminal
    # does, then keeps working; the run must end with 130 and one line.
    script = textwrap.dedent(
        f"""
        import os, signal, sys, time
        import news_dedupe.verification as pipeline
        from news_dedupe.cli import main

        parent, real = os.getpid(), pipeline.verify_duplicate

        def verify(*args, **kwargs):
            if os.getpid() != parent:
                try:
                    os.close(os.open({str(tmp_path / "pressed")!r}, os.O_CREAT | os.O_EXCL))
                    os.killpg(0, signal.SIGINT)
                except FileExistsError:
                    pass
                time.sleep(0.05)
            return real(*args, **kwargs)

        pipeline.verify_duplicate = verify
        sys.argv = ["dedupe", "find", {str(corpus)!r}, "--jobs", "2", "--quiet"]
        main()
        """
    )
    err_path = tmp_path / "stderr.txt"
    with open(err_path, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
        )
    # Without the fix a worker's traceback comes at once and the run may then hang (a worker
    # died holding the task queue's lock): stop watching at the first traceback.
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if "Traceback" in err_path.read_text(encoding="utf-8"):
            break
        time.sleep(0.1)
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the stuck run and its workers: its own group
    proc.wait()
    assert (tmp_path / "pressed").exists()
    assert err_path.read_text(encoding="utf-8") == "interrupted\n"
    assert proc.returncode == 130


# --- output files that are not plain files, and their permissions -------------------------------


def test_output_to_a_fifo_writes_into_it(runner, tmp_path):
    """-o naming a FIFO writes the report into it and leaves the FIFO in place."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        result = invoke(runner, "find", FIXTURES / "seeds.txt", "--format", "json", "-o", fifo, ok=False)
        received = os.read(reader, 1 << 20).decode("utf-8")
    finally:
        os.close(reader)
    assert result.exit_code == 0
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(received)["documents"] == 5


def test_output_file_permissions(runner, tmp_path):
    """A new report gets the mode the umask gives; a replaced one keeps the mode it had."""
    umask = os.umask(0o022)
    try:
        new, kept = tmp_path / "new.json", tmp_path / "kept.json"
        kept.write_text(OLD_REPORT)
        kept.chmod(0o640)
        for out in (new, kept):
            assert invoke(runner, "find", FIXTURES / "seeds.txt", "-o", out).exit_code == 0
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(new).st_mode) == 0o644


# --- what the loader fixes above must not change -------------------------------------------------


def loaded(tmp_path, name: str, content: bytes, **options):
    """(documents, warning messages) of one file written under tmp_path."""
    from news_dedupe.loader import LoadOptions

    path = tmp_path / name
    path.write_bytes(content)
    warnings: list = []
    docs = list(load([str(path)], LoadOptions(**options), warnings.append))
    return docs, [w.message.replace(f"{tmp_path}/", "") for w in warnings]


def test_tsv_text_may_start_with_a_quotation(tmp_path):
    """TSV is read leniently: a text that opens with a quotation that closes is no bad record."""
    docs, warnings = loaded(
        tmp_path, "q.tsv", b'id\ttext\nt1\t"We will rebuild," the mayor said.\nt2\tNext.\n'
    )
    assert [d.id for d in docs] == ["t1", "t2"]
    assert warnings == []


def test_csv_trailing_empty_field_is_not_an_extra_field(tmp_path):
    """A trailing delimiter (an empty last field) does not make a row malformed."""
    docs, warnings = loaded(tmp_path, "t.csv", b'id,text\nc1,"Quoted, with a comma",\nc2,plain,\n')
    assert [(d.id, d.text) for d in docs] == [("c1", "Quoted, with a comma"), ("c2", "plain")]
    assert warnings == []


def test_text_that_begins_like_a_compression_header(tmp_path):
    """Only a whole compression header makes a file compressed: 'BZh9…' prose stays prose."""
    docs, warnings = loaded(tmp_path, "b.txt", b"BZh9 is how the archive format begins, said the engineer.\n")
    assert docs[0].text.startswith("BZh9 is how")
    assert warnings == []


def test_blank_documents_before_the_first_real_one_are_still_reported(tmp_path):
    """A file whose first documents are blank but not all of them: each blank one is reported."""
    docs, warnings = loaded(tmp_path, "s.txt", b"==> a <==\n\n==> b <==\n \n==> c <==\nThe text.\n")
    assert [d.id for d in docs] == ["c"]
    assert warnings == [
        "s.txt: line 1: document 'a' is empty, skipped",
        "s.txt: line 3: document 'b' is empty, skipped",
        "s.txt: split at head separators (==> NAME <==): 1 documents",
    ]
