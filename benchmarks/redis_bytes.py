"""Bytes a document costs in an SQLite index and in a Redis index, on the same corpus.

Starts a throwaway redis-server (flags as tests/redis_server.py: no persistence, loopback only),
then runs `dedupe index add` on the same documents into a new SQLite file and into a new Redis
index, and reports per document: the SQLite file's bytes (with its write-ahead log) and the
growth of Redis `INFO memory` used_memory, with the Redis key count and where the bytes go
(`MEMORY USAGE` of each key, summed by the key's kind). With --check N it then checks the next
N documents against both indexes and compares the two JSON reports: the same answers.

    python benchmarks/redis_bytes.py /tmp/redis_b/r.jsonl              # every document
    python benchmarks/redis_bytes.py /tmp/redis_b/r.jsonl --docs 1000 --check 300
    python benchmarks/redis_bytes.py ../shared/corpora/bbc-fulltext/bbc      # 2,226 files

CORPUS is JSON Lines (id, text), e.g. what shared/bench/make_raw_reuters.py writes, or a folder
whose every file is indexed (without --docs or --check). One JSON line with every number goes
to stdout, a summary to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from typing import Any

import redis

REDIS_FLAGS = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(exe: str, directory: pathlib.Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), *REDIS_FLAGS, "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.exceptions.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(f"redis-server did not start on port {port}") from None
            time.sleep(0.05)


def dedupe(*args: str) -> subprocess.CompletedProcess[str]:
    exe = pathlib.Path(sys.executable).with_name("dedupe")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from news_dedupe.cli import main; main()"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, check=False)


def used_memory(r: Any) -> int:
    return int(r.info("memory")["used_memory"])


def kinds(r: Any, prefix: str) -> tuple[Counter[str], Counter[str]]:
    """Keys and `MEMORY USAGE` bytes under `prefix`, by the first part of the key after it."""
    keys: Counter[str] = Counter()
    used: Counter[str] = Counter()
    names = [k.decode() for k in r.scan_iter(match=prefix + "*", count=10_000)]
    with r.pipeline(transaction=False) as pipe:
        for start in range(0, len(names), 5000):
            chunk = names[start : start + 5000]
            for name in chunk:
                pipe.memory_usage(name, samples=0)
            for name, size in zip(chunk, pipe.execute(), strict=True):
                kind = name[len(prefix) :].split(":", 1)[0]
                keys[kind] += 1
                used[kind] += int(size or 0)
    return keys, used


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """A JSON report without what differs between two indexes of the same documents: when each
    document was added, and the index's name."""
    report = dict(report)
    report["index"] = {k: v for k, v in report.get("index", {}).items() if k != "name"}
    report["clusters"] = [
        {**c, "members": [{k: v for k, v in m.items() if k != "added"} for m in c["members"]]}
        for c in report.get("clusters", [])
    ]
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", help="JSON Lines corpus (id, text)")
    ap.add_argument("--docs", type=int, default=0, help="index the first N documents (0: all)")
    ap.add_argument("--check", type=int, default=0, help="then check the next N against both indexes")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--redis-server", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--work", help="folder for the index and the corpus parts (default: a temporary one)")
    args = ap.parse_args()

    work = pathlib.Path(args.work or tempfile.mkdtemp(prefix="redis-bytes-"))
    work.mkdir(parents=True, exist_ok=True)
    indexed, checked = work / "indexed.jsonl", work / "checked.jsonl"
    if os.path.isdir(args.corpus):  # a folder: every file in it, indexed as `dedupe` reads it
        if args.docs or args.check:
            raise SystemExit("--docs and --check take a JSON Lines corpus, not a folder")
        indexed, n_docs = pathlib.Path(args.corpus), 0
    else:
        with open(args.corpus, encoding="utf-8") as fh:
            lines = fh.readlines()
        n_docs = args.docs or len(lines)
        indexed.write_text("".join(lines[:n_docs]), encoding="utf-8")
        checked.write_text("".join(lines[n_docs : n_docs + args.check]), encoding="utf-8")
    db = work / "index.db"
    for p in (db, db.with_name("index.db-wal"), db.with_name("index.db-shm")):
        p.unlink(missing_ok=True)

    proc, url = start_redis(args.redis_server, work)
    try:
        r = redis.Redis.from_url(url)
        spec = f"{url}?prefix=bench"
        jobs = ["--jobs", str(args.jobs)]
        t0 = time.perf_counter()
        added = dedupe("index", "add", "--index", str(db), str(indexed), *jobs)
        sqlite_seconds = time.perf_counter() - t0
        if added.returncode:
            raise SystemExit(f"index add (SQLite) failed: {added.stderr.strip()}")
        r.memory_purge()
        before = used_memory(r)
        t0 = time.perf_counter()
        added = dedupe("index", "add", "--index", spec, str(indexed), *jobs)
        redis_seconds = time.perf_counter() - t0
        if added.returncode:
            raise SystemExit(f"index add (Redis) failed: {added.stderr.strip()}")
        r.memory_purge()
        after = used_memory(r)
        info = json.loads(dedupe("index", "info", "--index", str(db), "--format", "json").stdout)
        stored = int(info["documents"])
        sqlite_bytes = sum(os.path.getsize(p) for p in (db, db.with_name("index.db-wal")) if p.exists())
        keys, usage = kinds(r, "bench:")
        out: dict[str, Any] = {
            "corpus": str(args.corpus),
            "documents_given": n_docs,
            "documents_indexed": stored,
            "sqlite_bytes": sqlite_bytes,
            "sqlite_bytes_per_doc": round(sqlite_bytes / max(stored, 1)),
            "redis_used_memory": after - before,
            "redis_bytes_per_doc": round((after - before) / max(stored, 1)),
            "redis_keys": sum(keys.values()),
            "redis_keys_by_kind": dict(sorted(keys.items())),
            "redis_memory_usage_by_kind": dict(sorted(usage.items())),
            "sqlite_add_seconds": round(sqlite_seconds, 1),
            "redis_add_seconds": round(redis_seconds, 1),
        }
        out["ratio"] = round(out["redis_bytes_per_doc"] / max(out["sqlite_bytes_per_doc"], 1), 2)
        if args.check:
            reports = []
            for index in (str(db), spec):
                t0 = time.perf_counter()
                got = dedupe("check", "--index", index, str(checked), "--format", "json", *jobs)
                out[f"check_seconds_{'redis' if index == spec else 'sqlite'}"] = round(
                    time.perf_counter() - t0, 1
                )
                if got.returncode not in (0, 1):
                    raise SystemExit(f"check failed: {got.stderr.strip()}")
                reports.append(comparable(json.loads(got.stdout)))
            out["checked"] = args.check
            out["check_clusters"] = len(reports[0].get("clusters", []))
            out["same_reports"] = reports[0] == reports[1]
    finally:
        proc.terminate()
        proc.wait(10)
    print(json.dumps(out))
    log(
        f"{stored} documents: SQLite {out['sqlite_bytes_per_doc']:,} bytes/doc, "
        f"Redis {out['redis_bytes_per_doc']:,} bytes/doc ({out['ratio']}x), {out['redis_keys']:,} keys"
    )
    for kind in sorted(usage, key=usage.__getitem__, reverse=True):
        log(f"  {kind:8s} {keys[kind]:>9,} keys {usage[kind]:>13,} bytes")
    if args.check:
        same = out["same_reports"]
        log(f"check of {args.check} more: {out['check_clusters']} clusters, same reports: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
