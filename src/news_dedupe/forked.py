"""Work handed to forked processes: they inherit the parent's memory, so nothing is pickled but
the result, and a process that dies (out of memory, killed) is noticed, not waited on forever."""

from __future__ import annotations

import multiprocessing as mp
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any


def ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops the pool: one message, not a traceback each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


def spans_on_forks(count: int, jobs: int, work: Callable[[tuple[int, int]], list[Any]]) -> list[Any]:
    """`work` over `count` items cut into spans (start, end), about 8 a process, on a pool of `jobs`
    forked processes; the parts joined in order. `work` reads what it needs from a module global
    the parent set before the call (inherited by the fork, never pickled)."""
    size = max(1, count // (jobs * 8))
    spans = [(k, min(k + size, count)) for k in range(0, count, size)]
    out: list[Any] = []
    with mp.get_context("fork").Pool(jobs, initializer=ignore_sigint) as pool:
        for part in pool.imap(work, spans):
            out.extend(part)
    return out


class Forked:
    """`target(*args)` run on a forked process; `result` waits for what it returns."""

    def __init__(self, target: Callable[..., Any], *args: Any) -> None:
        ctx = mp.get_context("fork")
        self.receive, send = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_run, args=(send, target, args), daemon=True)
        self.process.start()
        send.close()  # the child holds the only sending end: its death ends the pipe

    def result(self) -> tuple[bool, Any]:
        """(True, what the target returned), or (False, None) when the process died first."""
        try:
            return True, self.receive.recv()
        except EOFError:
            return False, None

    def stop(self) -> None:
        """End the process if it still runs (the parent failed, or has what it needs)."""
        self.receive.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()


def _run(send: Connection, target: Callable[..., Any], args: tuple[Any, ...]) -> None:
    ignore_sigint()
    send.send(target(*args))
    send.close()
