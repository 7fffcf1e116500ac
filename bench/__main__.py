"""This project side by side with raw ZODB and the released sheraf 0.6.0,
then the section of BENCHMARKS.md that says so.

    python -m bench [--quick | --smoke] [--reference auto|if-built|skip] [--output PATH]

From the project root, with this project installed (``pip install -r
requirements-dev.txt``). The first run builds bench/.reference-venv, where
sheraf 0.6.0 comes from PyPI. The full run takes about 5 minutes and
writes BENCHMARKS.md; ``--quick`` (about a minute) and ``--smoke`` (a few
hundred instances, seconds) write bench/results/BENCHMARKS-<profile>.md
unless ``--output`` says otherwise. Every run also leaves its samples in
bench/results/<profile>.json.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import reference
from bench import report
from bench.plan import HELD_CACHE_SIZE
from bench.plan import PROFILES
from bench.plan import WORKLOADS_BY_KEY
from bench.plan import commands
from bench.workers import ROOT
from bench.workers import start_workers

RESULTS = ROOT / "bench" / "results"


def run_rounds(workers, sizes, work_dir, zeo_ports):
    """Every workload of every round, the implementations taking turns: in
    round ``r`` the one that starts is the ``r``-th. Return the samples,
    ``{workload key: {implementation: [answer per round]}}``."""
    names = list(workers)
    samples = {}
    for round_number in range(sizes.rounds):
        turn = round_number % len(names)
        order = names[turn:] + names[:turn]
        data_dirs = {name: Path(work_dir) / f"{name}-{round_number}" for name in names}
        steps = {
            name: commands(
                sizes, round_number, str(data_dirs[name] / "Data.fs"), zeo_ports[name]
            )
            for name in names
        }
        for directory in data_dirs.values():
            directory.mkdir()
        for position, (key, method, _args) in enumerate(steps[names[0]]):
            answers = {
                name: workers[name].call(method, **steps[name][position][2])
                for name in order
            }
            if key is not None:
                _check_same_work(key, answers)
                for name, answer in answers.items():
                    samples.setdefault(key, {}).setdefault(name, []).append(answer)
                _print_step(f"round {round_number + 1}/{sizes.rounds}", key, answers)
        for directory in data_dirs.values():
            shutil.rmtree(directory)
    return samples


def _print_step(heading, key, answers):
    seconds = WORKLOADS_BY_KEY[key].seconds
    times = (
        f"{name} {report.duration(seconds(a) / a['ops']):>10}"
        for name, a in answers.items()
    )
    print(f"{heading} {key:13} " + " ".join(times), flush=True)


def _check_same_work(key, answers):
    done = {(answer["ops"], answer["check"]) for answer in answers.values()}
    if len(done) != 1:
        raise RuntimeError(
            f"The implementations did not do the same work in {key}: {answers}"
        )


def start_zeo_servers(names, work_dir):
    """A ZEO server for each implementation: ``{name: (process, port)}``."""
    from sheraf.servers import start_zeo_server

    servers = {}
    for name in names:
        data_dir = Path(work_dir) / f"zeo-{name}"
        data_dir.mkdir()
        servers[name] = start_zeo_server(str(data_dir))
    return servers


def measure(args, sizes, work_dir):
    """Run the workloads, then the saloon; what :func:`report.render`
    needs of them."""
    from bench import http_load
    from sheraf.servers import stop_zeo_server

    reference_python, reference_note = reference.python(
        args.reference, RESULTS / "reference-build.log"
    )
    print(f"sheraf 0.6.0: {reference_note}", flush=True)
    workers = start_workers(reference_python, work_dir)
    servers = {}
    try:
        servers = start_zeo_servers(workers, work_dir)
        samples = run_rounds(
            workers,
            sizes,
            work_dir,
            {name: port for name, (_, port) in servers.items()},
        )
        descriptions = {name: worker.description for name, worker in workers.items()}
    finally:
        for worker in workers.values():
            worker.close()
        for process, _port in servers.values():
            stop_zeo_server(process)
    memory_samples = measure_memory(reference_python, sizes, work_dir)
    http_samples, practices = http_load.measure_saloon(sizes, work_dir)
    return {
        "samples": samples,
        "memory_samples": memory_samples,
        "http_samples": http_samples,
        "practices": practices,
        "http_tool": http_load.load_tool(),
        "implementations": descriptions,
        "reference_note": reference_note,
    }


def measure_memory(reference_python, sizes, work_dir):
    """The memory each implementation takes to hold ``sizes.held``
    instances in a connection's cache, in a fresh worker each round, the
    implementations taking turns: ``{implementation: [answer per round]}``
    (see :meth:`bench.raw_zodb.RawZODB.hold`)."""
    paths = {}
    workers = start_workers(reference_python, work_dir)
    try:
        for name, worker in workers.items():
            paths[name] = Path(work_dir) / f"held-{name}" / "Data.fs"
            paths[name].parent.mkdir()
            worker.call(
                "create",
                path=str(paths[name]),
                size=sizes.held,
                batch=sizes.batch,
                seed=2024,
            )
            worker.call("drop")
    finally:
        for worker in workers.values():
            worker.close()
    samples = {}
    for round_number in range(sizes.memory_rounds):
        workers = start_workers(reference_python, work_dir)
        try:
            names = list(workers)
            turn = round_number % len(names)
            answers = {
                name: workers[name].call(
                    "hold", path=str(paths[name]), cache_size=HELD_CACHE_SIZE
                )
                for name in names[turn:] + names[:turn]
            }
        finally:
            for worker in workers.values():
                worker.close()
        _check_same_work("memory", answers)
        for name, answer in answers.items():
            samples.setdefault(name, []).append(answer)
        print(
            f"memory round {round_number + 1}/{sizes.memory_rounds} "
            + " ".join(
                f"{name} {a['rss'] / 2**20:.1f} MiB" for name, a in answers.items()
            ),
            flush=True,
        )
    return samples


#: The profile of ``python -m bench.profile`` that shows where the time of
#: a goal goes, for goals that are not a workload of their own.
PROFILED = {"http_read": "http_read", "http_read_raw": "http_read"}


def profile_below_goal(run, profile_name):
    """The hot spots of the workloads below their goal, by workload key."""
    profiles = {}
    workload_keys = set(WORKLOADS_BY_KEY)
    for key, _goal, _measured, holds in report.goals(
        run["summary"], run["http"], run["memory"]
    ):
        key = PROFILED.get(key, key)
        if (
            holds is False
            and key in workload_keys | set(PROFILED)
            and key not in profiles
        ):
            print(f"profiling {key}", flush=True)
            command = [
                sys.executable,
                "-m",
                "bench.profile",
                key,
                "--profile",
                profile_name,
                "--top",
                "8",
            ]
            profiles[key] = subprocess.run(
                command,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            ).stdout
    return profiles


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        dest="profile",
        action="store_const",
        const="quick",
        help="smaller, about a minute",
    )
    size.add_argument(
        "--smoke",
        dest="profile",
        action="store_const",
        const="smoke",
        help="tiny, for CI",
    )
    parser.set_defaults(profile="full")
    parser.add_argument(
        "--reference",
        choices=["auto", "if-built", "skip"],
        default="auto",
        help="sheraf 0.6.0: build its environment if needed (auto), use it if built, or skip it",
    )
    parser.add_argument(
        "--no-profiles",
        action="store_true",
        help="do not profile the workloads below goal",
    )
    parser.add_argument(
        "--output", help="the Markdown file to write (BENCHMARKS.md for the full run)"
    )
    return parser.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_arguments(argv)
    sizes = PROFILES[args.profile]
    default_output = f"BENCHMARKS-{args.profile}.md" if args.profile != "full" else None
    output = Path(
        args.output
        or (RESULTS / default_output if default_output else ROOT / "BENCHMARKS.md")
    )
    RESULTS.mkdir(exist_ok=True)
    started, load_at_start = time.monotonic(), os.getloadavg()[0]
    work_dir = tempfile.mkdtemp(prefix="sheraf-bench-")
    try:
        run = measure(args, sizes, work_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    run["summary"] = report.summarize(run["samples"])
    run["http"] = report.summarize_http(run["http_samples"])
    run["memory"] = report.summarize_memory(run["memory_samples"])
    run["profiles"] = {} if args.no_profiles else profile_below_goal(run, args.profile)
    run.update(
        command=" ".join(["python -m bench", *argv]),
        profile=args.profile,
        sizes=sizes,
        seconds=time.monotonic() - started,
        load_averages=(load_at_start, os.getloadavg()[0]),
    )
    report.write(output, report.render(run))
    (RESULTS / f"{args.profile}.json").write_text(
        json.dumps(
            {key: value for key, value in run.items() if key != "sizes"},
            indent=1,
            default=str,
        )
    )
    print(f"\nWritten: {output}\n", flush=True)
    for _key, goal, measured, holds in report.goals(
        run["summary"], run["http"], run["memory"]
    ):
        print(
            f"{'   ' if holds is None else 'ok ' if holds else 'NO '} {goal}: {measured}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
