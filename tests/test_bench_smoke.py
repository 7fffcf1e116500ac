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
    for endpoint in (
        "`GET /api/cowboys/<id>` (the saloon)",
        "`GET /raw/cowboys/<id>` (raw ZODB by hand)",
        "`POST /api/cowboys/<id>/practice` (IntegerAttribute += 1)",
        "`POST /bench/tallies/<id>/cheer` (CounterAttribute.increment(1))",
    ):
        assert re.search(
            rf"\| {re.escape(endpoint)} \| \d+ \| \d+\.\d\dx .* \| 0 \|\n", text
        ), endpoint
    assert re.search(r"Raw sequential ZEO commits: \d+ per second", text)
    assert re.search(r"\| resident memory \| \d+\.\d MiB \| \d+\.\d MiB", text)
    for goal in (
        "saloon read endpoint >= 0.85x the empty endpoint",
        "saloon read endpoint >= 0.95x the same endpoint on raw ZODB",
        "hot object, IntegerAttribute += 1 >= 0.6x raw sequential ZEO commits",
        "hot object, CounterAttribute increments >= 1.0x raw sequential ZEO commits",
        "resident memory holding 300 instances <= 1.2x raw ZODB",
    ):
        assert re.search(rf"\| {re.escape(goal)} \| \d+\.\d\dx \|", text), goal
    # Every write to a hot object answered with success was counted.
    writes = re.findall(r":\s+(\d+)\s+counted\s+for\s+(\d+)\s+answered", text)
    assert len(writes) == 2, text
    for counted, answered in writes:
        assert int(counted) >= int(answered) > 0


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
    for workload in ("read_warm", "http_read", "http_raw_read"):
        text = run_module("bench.profile", workload, "--profile", "smoke", "--top", "3")
        assert "µs per operation under the profiler" in text
        assert re.search(r"(sheraf|bench)/\S+\.py:\d+\)", text)


def test_bench_queries_runs():
    text = run_module("bench.bench_queries", "--size", "300", "--rounds", "1")
    assert "| filter, ~1% of the table |" in text


def test_bench_zeo_sync_compares_the_three_contexts_then_contexts_in_threads():
    text = run_module(
        "bench.zeo_sync", "--rounds", "1", "--count", "20", "--threads", "4"
    )
    for name in ("raw ZODB", "server_sync=false", "server_sync, the default"):
        assert re.search(
            rf"\| [^|]*{re.escape(name)}[^|]* \| \d+\.\d \| \d\.\d\dx \|", text
        )
    for name in ("raw ZODB, server_sync, begin()", "this project (server_sync"):
        assert re.search(rf"\| {re.escape(name)}[^|]* \| \d+ \| \d\.\d\d \|", text)
    # Each raw transaction makes its own round trip.
    assert "| raw ZODB, server_sync, begin() |" in text
    raw_trips = re.search(
        r"\| raw ZODB, server_sync, begin\(\) \| \d+ \| (\S+) \|", text
    )
    assert raw_trips.group(1) == "1.00"
