"""A small closed-loop HTTP load generator for loopback benchmarks (used when ``wrk`` is absent).

``run(port, make_request, connections, seconds)`` keeps ``connections`` requests in flight for
``seconds`` (after a warm-up) from ``processes`` forked processes with threads each, one new
TCP connection per request (gunicorn's sync worker closes every connection, as ``wrk`` sees it
too), and returns the throughput and latency percentiles of the answers with the expected status.

The same generator drives the baseline and the portal in the same run, so its own CPU cost (it
shares the cores with the server) weighs on both; it costs more per request than ``wrk``, so
the fastest baselines (hello world) are held back more than the slower portal routes — ratios
are, if anything, flattering to the portal (docs/performance.md).
"""

from __future__ import annotations

import http.client
import multiprocessing
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

# (method, path, body or None, headers)
Request = tuple[str, str, bytes | None, dict[str, str]]
RequestFactory = Callable[[int, int], Request]  # (worker number, request number) → request


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    first_error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _one(port: int, request: Request, expect: int) -> tuple[bool, str]:
    method, path, body, headers = request
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Connection": "close", **headers})
        response = conn.getresponse()
        data = response.read()
        if response.status != expect:
            return False, f"{response.status} {data[:300]!r}"
        return True, ""
    except OSError as exc:
        return False, repr(exc)
    finally:
        conn.close()


def _process(
    port: int,
    factory: RequestFactory,
    expect: int,
    threads: int,
    base: int,
    warmup_until: float,
    stop_at: float,
    out: Any,
) -> None:
    latencies: list[float] = []
    errors = [0]
    first_error: list[str] = []
    lock = threading.Lock()

    def loop(worker: int) -> None:
        n = 0
        mine: list[float] = []
        bad = 0
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                break
            n += 1
            ok, why = _one(port, factory(worker, n), expect)
            done = time.perf_counter()
            if now < warmup_until or done > stop_at:
                continue
            if ok:
                mine.append(done - now)
            else:
                bad += 1
                if not first_error:
                    first_error.append(why)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    pool = [threading.Thread(target=loop, args=(base + i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put((latencies, errors[0], first_error[0] if first_error else ""))


def run(
    port: int,
    factory: RequestFactory,
    *,
    connections: int = 16,
    seconds: float = 10.0,
    warmup: float = 2.0,
    expect: int = 200,
    processes: int = 2,
) -> LoadResult:
    """Drive ``connections`` concurrent closed-loop clients for ``seconds`` after ``warmup``."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    start = time.perf_counter() + 0.2
    warmup_until = start + warmup
    stop_at = warmup_until + seconds
    per = [connections // processes + (1 if i < connections % processes else 0)
           for i in range(processes)]  # fmt: skip
    procs = [
        ctx.Process(
            target=_process,
            args=(port, factory, expect, n, 1000 * i, warmup_until, stop_at, out),
        )
        for i, n in enumerate(per)
        if n
    ]
    for p in procs:
        p.start()
    latencies: list[float] = []
    errors = 0
    first_error = ""
    for _ in procs:
        lat, err, why = out.get()
        latencies.extend(lat)
        errors += err
        first_error = first_error or why
    for p in procs:
        p.join()
    return LoadResult(
        requests=len(latencies),
        errors=errors,
        seconds=seconds,
        rps=len(latencies) / seconds,
        p50_ms=1000 * (statistics.median(latencies) if latencies else 0.0),
        p99_ms=1000 * _percentile(latencies, 0.99),
        first_error=first_error,
    )
