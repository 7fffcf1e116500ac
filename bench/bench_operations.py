"""Operations on a large table over ZEO: checking and rebuilding its
indexes, by this project and by the released sheraf 0.6.0, on the same
data, then the section of BENCHMARKS.md that says so.

    python -m bench.bench_operations [--instances N] [--rounds R] [--output PATH]

From the project root. The data (``--instances`` cowboys, 100 000 by
default, with a unique and a multiple index) is written once by sheraf
0.6.0, so that both read a table laid out as 0.6.0 lays it (what an upgrade
starts from). Each measure runs in a new process, on a new copy of the
data behind a new ZEO server:

- *check*: ``check_health(Cowboy)``, every check;
- *rebuild*: ``sheraf URI rebuild bench_cowboys.Cowboy --commit
  --batch-size 1000``, both indexes, with their reset.

It notes the elapsed time (instances per second) and the peak resident
memory of that process. The implementations take turns within each round;
the figures are the medians of the rounds, with their range. sheraf 0.6.0
comes from bench/.reference-venv (see :mod:`bench.reference`).
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from bench import reference
from sheraf.servers import start_zeo_server
from sheraf.servers import stop_zeo_server

ROOT = Path(__file__).resolve().parent.parent
BEGIN = (
    "<!-- begin: written by `python -m bench.bench_operations`; edits here are lost -->"
)
END = "<!-- end: written by `python -m bench.bench_operations` -->"
TIMEOUT = 3600

MODELS = """
import sheraf


class Cowboy(sheraf.Model):
    table = "bench_cowboys"
    name = sheraf.StringAttribute().index(unique=True)
    town = sheraf.StringAttribute().index()
    gunskill = sheraf.IntegerAttribute()
"""

FILL = """
import sys
import sheraf
from bench_cowboys import Cowboy

sheraf.Database(sys.argv[1])
count = int(sys.argv[2])
for start in range(0, count, 5000):
    with sheraf.connection(commit=True):
        for n in range(start, min(count, start + 5000)):
            Cowboy.create(name=f"cowboy{n}", town=f"town{n % 100}", gunskill=n % 7)
"""

CHECK = """
import sys
import sheraf
from sheraf.health import check_health
from bench_cowboys import Cowboy

# As the sheraf command does: a cache for the index buckets.
sheraf.Database(sys.argv[1], db_args={"cache_size": 50000})
with sheraf.connection():
    report = check_health(Cowboy)
counts = report["check_attributes_index"]["bench_cowboys.Cowboy"]
print("RESULT", sum(c["ok"] for c in counts.values()), sum(c["ko"] for c in counts.values()))
"""


def _environment(work_dir):
    """Both implementations import the models from ``work_dir``."""
    return dict(os.environ, PYTHONPATH=str(work_dir), PYTHONDONTWRITEBYTECODE="1")


def _measure(command, work_dir):
    """Run ``command`` in ``work_dir``: its seconds, peak RSS (MiB) and
    standard output."""
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=work_dir,
        env=_environment(work_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    stdout, stderr = process.stdout.read(), process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(
            f"{command} exited with {process.returncode}:\n{stderr.decode()[-3000:]}"
        )
    return elapsed, usage.ru_maxrss / 1024, stdout.decode()


def _serve(data_dir):
    return start_zeo_server(str(data_dir))


def _fill(work_dir, instances, reference_python):
    """The folder of a ZEO server's data: ``instances`` cowboys written by
    sheraf 0.6.0."""
    pristine = work_dir / "pristine"
    pristine.mkdir()
    process, port = _serve(pristine)
    try:
        print(f"Writing {instances} instances with sheraf 0.6.0", flush=True)
        _measure(
            [
                str(reference_python),
                "fill.py",
                f"zeo://127.0.0.1:{port}",
                str(instances),
            ],
            work_dir,
        )
    finally:
        stop_zeo_server(process)
    return pristine


def run(instances, rounds, reference_python, data=None):
    work_dir = Path(tempfile.mkdtemp(prefix="sheraf-bench-ops-"))
    try:
        (work_dir / "bench_cowboys.py").write_text(textwrap.dedent(MODELS))
        (work_dir / "fill.py").write_text(textwrap.dedent(FILL))
        (work_dir / "check.py").write_text(textwrap.dedent(CHECK))
        pristine = data or _fill(work_dir, instances, reference_python)
        implementations = {
            "this project": Path(sys.executable),
            "sheraf 0.6.0": Path(reference_python),
        }
        samples = {}
        for round_number in range(rounds):
            names = list(implementations)
            order = names[round_number % 2 :] + names[: round_number % 2]
            for operation in ("check", "rebuild"):
                for name in order:
                    python = implementations[name]
                    data_dir = (
                        work_dir
                        / f"{name.replace(' ', '-')}-{round_number}-{operation}"
                    )
                    shutil.copytree(
                        pristine,
                        data_dir,
                        ignore=shutil.ignore_patterns("*.lock", "zeo.*"),
                    )
                    process, port = _serve(data_dir)
                    uri = f"zeo://127.0.0.1:{port}"
                    try:
                        if operation == "check":
                            command = [str(python), "check.py", uri]
                        else:
                            command = [
                                str(python.parent / "sheraf"),
                                uri,
                                "rebuild",
                                "bench_cowboys.Cowboy",
                                "--commit",
                                "--batch-size",
                                "1000",
                            ]
                        elapsed, rss, output = _measure(command, work_dir)
                        if operation == "check":
                            result = output.rsplit("RESULT", 1)[1]
                            ok, ko = map(int, result.split())
                            assert (ok, ko) == (2 * instances, 0), output
                    finally:
                        stop_zeo_server(process)
                        shutil.rmtree(data_dir)
                    samples.setdefault(operation, {}).setdefault(name, []).append(
                        (elapsed, rss)
                    )
                    print(
                        f"round {round_number + 1}/{rounds} {operation:8} {name:13} "
                        f"{instances / elapsed:8.0f} instances/s  {rss:6.0f} MiB",
                        flush=True,
                    )
        return samples
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def _median_range(values, fmt):
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})"


def report(samples, instances, rounds, reference_note, minutes, loads, data=None):
    lines = [
        BEGIN,
        "## Operations: checking and rebuilding 100 000 instances over ZEO"
        if instances == 100_000
        else f"## Operations: checking and rebuilding {instances} instances over ZEO",
        "",
        "`check_health(Cowboy)` (every check) and `sheraf URI rebuild Cowboy --commit",
        "--batch-size 1000` (both indexes, with their reset), each in a new process on",
        "a fresh copy of the same data (written by sheraf 0.6.0: a unique and a",
        "multiple index) behind a new ZEO server; elapsed time, and the peak resident",
        "memory of that process. Medians of the rounds, with their range.",
        "",
        f"Produced by, from the project root (one run, {minutes:.1f} min):",
        "",
        f"    python -m bench.bench_operations --instances {instances} --rounds {rounds}"
        + (" --data DIR" if data else ""),
        "",
        *(
            [
                "(`--data`: the data were written by sheraf 0.6.0 with the same script in",
                "an earlier, interrupted run, and not timed.)",
                "",
            ]
            if data
            else []
        ),
        f"- {rounds} round{'s' if rounds > 1 else ''}, the implementations taking turns;",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs; load average "
        f"{loads[0]:.2f} at the start and {loads[1]:.2f} at the end (shared: other "
        "work ran beside it);",
        f"- Python {platform.python_version()}; sheraf 0.6.0: {reference_note}.",
        "",
        "| operation | implementation | instances/s | peak RSS (MiB) |",
        "|---|---|--:|--:|",
    ]
    for operation, by_name in samples.items():
        for name, values in by_name.items():
            rates = [instances / elapsed for elapsed, _ in values]
            memories = [rss for _, rss in values]
            lines.append(
                f"| {operation} | {name} | {_median_range(rates, lambda v: f'{v:,.0f}')} "
                f"| {_median_range(memories, lambda v: f'{v:,.0f}')} |"
            )
    lines += [
        "",
        "This project's rebuild commits each batch through `sheraf.attempt`, so that",
        "the application can keep writing; it also drops the orphan and stale entries",
        "that sheraf 0.6.0's reset throws away with the whole index. Its check also",
        "finds stale entries, which sheraf 0.6.0's does not look for. Both checks run",
        "with a cache of 50 000 objects, the size the command gives its connection;",
        "sheraf 0.6.0's rebuild keeps ZODB's default of 400: the memory of each is",
        "bounded by its cache, whatever the size of the table.",
        END,
    ]
    return "\n".join(lines) + "\n"


def write(section, output):
    text = output.read_text() if output.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        text = before + section.rstrip("\n") + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    output.write_text(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--data",
        type=Path,
        help="the folder of a ZEO server's data that fill.py wrote with sheraf "
        "0.6.0 (as --instances says), instead of writing it again",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    log_path = ROOT / "bench" / "results" / "reference-build.log"
    log_path.parent.mkdir(exist_ok=True)
    reference_python, note = reference.python("auto", log_path)
    if reference_python is None:
        sys.exit(f"sheraf 0.6.0 is {note}")
    samples = run(args.instances, args.rounds, reference_python, args.data)
    minutes = (time.monotonic() - started) / 60
    section = report(
        samples,
        args.instances,
        args.rounds,
        note,
        minutes,
        (load_before, os.getloadavg()[0]),
        args.data,
    )
    write(section, args.output)
    print(section)


if __name__ == "__main__":
    main()
