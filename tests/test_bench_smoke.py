"""The benchmarks keep running: a tiny run of each, which checks that they
produce figures and never how fast they are."""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_module(*args, timeout=240):
    """Run ``python -m ARGS`` from the project root; its standard output."""
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_bench_smoke_writes_figures(tmp_path):
    # The reference environment is used only if a previous run built it:
    # the report says it was not measured otherwise.
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\n## Indexes and queries\n\nKept as it is.\n")
    run_module(
        "bench",
        "--smoke",
        "--reference",
        "if-built",
        "--no-profiles",
        "--output",
        str(output),
    )

    text = output.read_text()
    assert text.startswith("# Benchmarks\n")
    assert text.endswith("## Indexes and queries\n\nKept as it is.\n")
    assert "python -m bench --smoke" in text
    for title in (
        "create",
        "read by id, warm cache",
        "iterate all, cold cache",
        "ZEO commit: CounterAttribute",
    ):
        row = next(line for line in text.splitlines() if line.startswith(f"| {title}"))
        assert re.search(r"\d+\.\d\d (µs|ms) \| \d+\.\d\d (µs|ms)", row), row
    assert re.search(r"\| `GET /api/cowboys/<id>` \| \d+ \| \d+\.\d\dx", text)
    assert "| gunicorn read endpoint >= 0.85x the empty endpoint |" in text


def test_bench_report_replaces_its_own_section(tmp_path):
    from bench.report import BEGIN
    from bench.report import END
    from bench.report import write

    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n## Indexes and queries\n\nKept.\n")
    write(path, f"{BEGIN}\nfirst\n{END}\n")
    write(path, f"{BEGIN}\nsecond\n{END}\n")
    assert (
        path.read_text()
        == f"# Benchmarks\n\n{BEGIN}\nsecond\n{END}\n\n## Indexes and queries\n\nKept.\n"
    )


def test_bench_profile_shows_hot_spots():
    for workload in ("read_warm", "http_read"):
        text = run_module("bench.profile", workload, "--profile", "smoke", "--top", "3")
        assert "µs per operation under the profiler" in text
        assert re.search(r"sheraf/\S+\.py:\d+\)", text)


def test_bench_queries_runs():
    text = run_module("bench.bench_queries", "--size", "300", "--rounds", "1")
    assert "| filter, ~1% of the table |" in text
