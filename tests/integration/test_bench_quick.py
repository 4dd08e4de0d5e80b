"""The benchmark code (bench/) keeps working: its generator and its load generator. Times are
never judged here; ``make bench QUICK=1`` in CI runs the whole suite at 1/100 scale."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest
from werkzeug.serving import make_server

from bench import loadgen, national
from bench.baselines import app as baseline_app
from bench.run import row, write_results

ADDRESSES = [
    (n, 1 + n % 7, 40 + n % 90, "woonfunctie" if n % 5 else "kantoorfunctie") for n in range(1, 401)
]


def test_declarations_are_deterministic_and_skewed() -> None:
    first, permits = national.generate_declarations(ADDRESSES, 2_600, date(2026, 6, 1), 7, 500)
    again, _ = national.generate_declarations(ADDRESSES, 2_600, date(2026, 6, 1), 7, 500)
    other, _ = national.generate_declarations(ADDRESSES, 2_600, date(2026, 6, 1), 8, 500)

    assert first == again
    assert first != other
    assert len(first) == 2_600
    assert permits
    by_org = Counter(r[3] for r in first)
    large = sum(by_org[o] for o in range(1, 11))
    assert large / len(first) > 0.25  # a few large agencies file a large share
    assert max(by_org) <= 500
    assert [r[0] for r in first] == list(range(1, 2_601))  # ids in filing order
    assert all(r[11] is None or r[11] < r[0] for r in first)  # successors after predecessors


@pytest.fixture
def hello_port() -> Iterator[int]:
    server = make_server("127.0.0.1", 0, baseline_app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join()


def test_load_generator_counts_answers_and_errors(hello_port: int) -> None:
    def hello(worker: int, n: int) -> loadgen.Request:
        return "GET", "/hello", None, {}

    def missing(worker: int, n: int) -> loadgen.Request:
        return "GET", "/nowhere", None, {}

    good = loadgen.run(hello_port, hello, connections=2, seconds=0.5, warmup=0.1, processes=1)
    bad = loadgen.run(hello_port, missing, connections=2, seconds=0.3, warmup=0.1, processes=1)

    assert good.requests > 0 and good.errors == 0
    assert 0 < good.p50_ms <= good.p99_ms
    assert bad.requests == 0 and bad.errors > 0
    assert bad.first_error.startswith("404")


def test_results_table_names_machine_and_verdicts(tmp_path: pytest.TempPathFactory) -> None:
    results = {
        "machine": {"cores": 2, "cpu": "Test CPU", "postgresql": "15", "python": "3.11",
                    "weasyprint": "70", "harfbuzz_subset": True, "date": "today",
                    "load_generator": "loadgen"},
        "data": "tiny",
    }  # fmt: skip
    rows = [
        row("P1", "filing 10 req/s", "raw 100 req/s", 0.1, "≥ 0.50", False),
        row("P5", "portal 90 ms", "bare 80 ms", 1.125, "≤ 1.5", True),
    ]
    out = tmp_path / "results"  # type: ignore[operator]
    write_results(results, rows, out, quick=False)

    table = out.with_suffix(".md").read_text()
    assert "2 cores, Test CPU" in table
    assert "| P1 | filing 10 req/s | raw 100 req/s | 0.10 | ≥ 0.50 | **FAIL** |" in table
    assert "| P5 | portal 90 ms | bare 80 ms | 1.12 | ≤ 1.5 | pass |" in table
    assert '"ratio": 0.1' in out.with_suffix(".json").read_text()
