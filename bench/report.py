"""Medians, ratios and the Markdown section of BENCHMARKS.md.

Implementations are compared round by round: each ratio is the median of
the ratios of the rounds, where both sides ran one after the other, and
its range is given with it.
"""

import os
import platform
import statistics
import subprocess
import textwrap
from importlib.metadata import version
from pathlib import Path

from bench.plan import HTTP_GOALS
from bench.plan import MEMORY_GOAL
from bench.plan import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- begin: written by `python -m bench`; edits here are lost -->"
END = "<!-- end: written by `python -m bench` -->"
NAMES = {"raw": "raw ZODB", "project": "this project", "reference": "sheraf 0.6.0"}
RATIOS = [("project", "raw"), ("reference", "raw"), ("project", "reference")]
WIDTH = 79
CLOCKS = {"cpu": "CPU", "wall": "elapsed"}


def rates(samples, seconds):
    """Operations per second of each sample, ``seconds(sample)`` giving its
    time."""
    return [sample["ops"] / seconds(sample) for sample in samples]


def paired_ratio(numerators, denominators):
    """``(median, lowest, highest)`` of the ratios of the same rounds."""
    ratios = [a / b for a, b in zip(numerators, denominators, strict=True)]
    return statistics.median(ratios), min(ratios), max(ratios)


def summarize(samples):
    """For each workload measured: the median time per operation of each
    implementation, and the speed ratios of :data:`RATIOS`."""
    summary = {}
    for workload in WORKLOADS:
        by_implementation = samples.get(workload.key)
        if not by_implementation:
            continue
        speeds = {
            name: rates(runs, workload.seconds)
            for name, runs in by_implementation.items()
        }
        summary[workload.key] = {
            "seconds_per_op": {
                name: 1 / statistics.median(s) for name, s in speeds.items()
            },
            "ratios": {
                f"{a}/{b}": paired_ratio(speeds[a], speeds[b])
                for a, b in RATIOS
                if a in speeds and b in speeds
            },
        }
    return summary


def summarize_http(http_samples):
    """``{"endpoints": {key: row}, "raw_commits": rate, "ratios": {goal
    key: ratio}}``: for each endpoint the median requests per second and
    the ratio to the empty endpoint, the same for requests per CPU second
    of the workers where /proc told it, the failed requests; the median
    rate of the raw sequential commits; the ratios of :data:`HTTP_GOALS`."""

    def per(runs, time_key="seconds"):
        return [run["completed"] / run[time_key] for run in runs]

    loads = {key: runs for key, runs in http_samples.items() if key != "raw_commits"}
    with_cpu = all(run["cpu_seconds"] for runs in loads.values() for run in runs)
    rows = {}
    for key, runs in loads.items():
        row = rows[key] = {
            "per_second": statistics.median(per(runs)),
            "to_empty": paired_ratio(per(runs), per(loads["empty"])),
            "failed": sum(run["failed"] for run in runs),
        }
        if with_cpu:
            row["per_cpu_second"] = statistics.median(per(runs, "cpu_seconds"))
            row["cpu_to_empty"] = paired_ratio(
                per(runs, "cpu_seconds"), per(loads["empty"], "cpu_seconds")
            )
    return {
        "endpoints": rows,
        "raw_commits": statistics.median(per(http_samples["raw_commits"])),
        "ratios": {
            goal.key: paired_ratio(
                per(http_samples[goal.endpoint]), per(http_samples[goal.baseline])
            )
            for goal in HTTP_GOALS
        },
        "cpu_ratios": {
            goal.key: paired_ratio(
                per(http_samples[goal.endpoint], "cpu_seconds"),
                per(http_samples[goal.baseline], "cpu_seconds"),
            )
            for goal in HTTP_GOALS
            if with_cpu and goal.baseline in loads
        },
    }


def summarize_memory(memory_samples):
    """By implementation: the median resident memory with every instance
    held, and what loading them added; the ratios of :data:`RATIOS` of
    both."""
    if not memory_samples:
        return {}

    def added(sample):
        return sample["rss"] - sample["rss_before"]

    resident = {
        name: [sample["rss"] for sample in runs]
        for name, runs in memory_samples.items()
    }
    grown = {
        name: [added(sample) for sample in runs]
        for name, runs in memory_samples.items()
    }
    return {
        "held": next(iter(memory_samples.values()))[0]["ops"],
        "rss": {name: statistics.median(values) for name, values in resident.items()},
        "added": {name: statistics.median(values) for name, values in grown.items()},
        "ratios": {
            f"{a}/{b}": paired_ratio(resident[a], resident[b])
            for a, b in RATIOS
            if a in resident and b in resident
        },
        "added_ratios": {
            f"{a}/{b}": paired_ratio(grown[a], grown[b])
            for a, b in RATIOS
            if a in grown and b in grown
        },
    }


def goals(summary, http_summary, memory_summary=None):
    """``(key, goal, measured, holds)`` rows, ``key`` naming the workload
    (``http_read``... for the endpoints, ``memory``); ``holds`` is ``None``
    where there is no threshold."""
    rows = []
    for workload in WORKLOADS:
        if workload.goal is not None and workload.key in summary:
            ratio = summary[workload.key]["ratios"]["project/raw"][0]
            goal = f"{workload.title} >= {workload.goal}x raw ZODB"
            rows.append((workload.key, goal, f"{ratio:.2f}x", ratio >= workload.goal))
    for http_goal in HTTP_GOALS if http_summary else ():
        ratio = http_summary["ratios"][http_goal.key][0]
        rows.append(
            (http_goal.key, http_goal.title, f"{ratio:.2f}x", ratio >= http_goal.goal)
        )
    if memory_summary:
        ratio = memory_summary["ratios"]["project/raw"][0]
        goal = (
            f"resident memory holding {memory_summary['held']} instances "
            f"<= {MEMORY_GOAL}x raw ZODB"
        )
        rows.append(("memory", goal, f"{ratio:.2f}x", ratio <= MEMORY_GOAL))
    if "open_close" in summary:
        times = summary["open_close"]["seconds_per_op"]
        overheads = ", ".join(
            f"{NAMES[name]} +{(times[name] - times['raw']) * 1e6:.1f} µs"
            for name in ("project", "reference")
            if name in times
        )
        goal = "connection open+close overhead over raw `DB.open()`/`close()`"
        rows.append(("open_close", goal, overheads, None))
    return rows


def duration(seconds):
    """A time per operation, in the unit that reads best."""
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.2f} µs"


def ratio_cell(ratio):
    median, low, high = ratio
    return f"{median:.2f}x ({low:.2f}–{high:.2f})"


def machine():
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(
                line.split(":", 1)[1].strip()
                for line in cpuinfo
                if line.startswith("model name")
            )
        with open("/proc/meminfo") as meminfo:
            memory = (
                int(
                    next(
                        line.split()[1]
                        for line in meminfo
                        if line.startswith("MemTotal")
                    )
                )
                / 2**20
            )
    except (OSError, StopIteration):
        memory = None
    memory = f", {memory:.0f} GiB of memory" if memory else ""
    return f"{cpu}, {os.cpu_count()} CPUs{memory}; {platform.system()} {platform.release()}"


def commit():
    """The commit measured, and whether the working tree differed from it."""

    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git(
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        "sheraf",
        "examples",
        "bench",
    )
    return head + (
        " (with uncommitted changes to sheraf/, examples/ or bench/)" if changed else ""
    )


def render(run):
    """The Markdown section of one run: ``run`` holds ``command``,
    ``profile``, ``sizes``, ``seconds``, ``load_averages``,
    ``implementations`` (the workers' descriptions), ``reference_note``,
    ``summary``, ``http``, ``http_tool``, ``practices``, ``memory`` and
    ``profiles``."""
    summary, http, sizes = run["summary"], run["http"], run["sizes"]
    memory = run["memory"]
    names = [name for name in NAMES if name in run["implementations"]]
    pairs = [(a, b) for a, b in RATIOS if a in names and b in names]
    lines = [BEGIN, "## This project, raw ZODB and sheraf 0.6.0", ""]
    lines += _prose(
        "The same workloads, run by this project, by raw ZODB (persistent and BTrees by "
        "hand: the physical limit) and by the released sheraf 0.6.0, each in its own "
        "process, the implementations taking turns within each round. Times are medians "
        "per operation, in CPU time of the process that runs the implementation for "
        "the workloads that run in it alone (other processes on this shared machine do "
        "not inflate it), in elapsed time for those that wait on a ZEO server. A ratio "
        "compares speeds (1.00x: as fast; 0.50x: twice as slow): the median of the "
        "ratios of the rounds, with their range."
    )
    lines += _prose(
        f"Produced by, from the project root (one run, {run['seconds'] / 60:.1f} min):"
    )
    lines += [f"    {run['command']}", ""]
    lines += _bullets(
        f"profile `{run['profile']}`: {sizes.rounds} rounds of {sizes.cowboys} instances "
        f"(batches of {sizes.batch}), {sizes.reads} reads by id, {sizes.connections} "
        f"connections and {sizes.commits} ZEO commits per implementation; then "
        f"{sizes.http_rounds} rounds of {sizes.http_seconds} s per endpoint with "
        f"{sizes.http_connections} connections; then {sizes.memory_rounds} round(s) "
        f"holding {sizes.held} instances",
        f"commit {commit()}",
        f"machine: {machine()}; load average {run['load_averages'][0]:.2f} at the start and "
        f"{run['load_averages'][1]:.2f} at the end (the machine is shared: other work ran "
        "beside the benchmark)",
        _versions(run["implementations"]),
        f"sheraf 0.6.0: {run['reference_note']}",
    )
    lines += _comparison_header(["workload", "clock"], names, pairs)
    for workload in WORKLOADS:
        row = summary.get(workload.key)
        if row is not None:
            cells = [workload.title, CLOCKS[workload.clock]]
            cells += [duration(row["seconds_per_op"][name]) for name in names]
            cells += [ratio_cell(ratio) for ratio in row["ratios"].values()]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "What each workload does:", ""]
    lines += _bullets(
        *(f"*{w.title}*: {w.description}" for w in WORKLOADS if w.key in summary)
    )
    if http:
        lines += _http_lines(http, run)
    if memory:
        lines += _memory_lines(memory, names, pairs)
    lines += ["### Goals", "", "| goal | measured | holds |", "|---|--:|---|"]
    for _key, goal, measured, holds in goals(summary, http, memory):
        verdict = "—" if holds is None else ("yes" if holds else "**no**")
        lines.append(f"| {goal} | {measured} | {verdict} |")
    if run["profiles"]:
        lines += _profile_lines(run["profiles"])
    lines += ["", END]
    return "\n".join(lines) + "\n"


def _comparison_header(first_columns, names, pairs):
    """The head of a table with ``first_columns``, a column per
    implementation and one per ratio."""
    columns = first_columns + [NAMES[name] for name in names]
    columns += [f"{NAMES[a]} / {NAMES[b]}" for a, b in pairs]
    alignments = ["---"] * len(first_columns) + ["--:"] * (len(names) + len(pairs))
    return ["| " + " | ".join(columns) + " |", "|" + "|".join(alignments) + "|"]


def _prose(text):
    return [textwrap.fill(text, WIDTH), ""]


def _bullets(*items):
    """A list whose items end with ``;``, the last one with ``.``."""
    ends = [";"] * (len(items) - 1) + ["."]
    return [
        textwrap.fill(item + end, WIDTH, initial_indent="- ", subsequent_indent="  ")
        for item, end in zip(items, ends, strict=True)
    ] + [""]


def _versions(implementations):
    described = implementations.get("project", {})
    shared = ", ".join(
        f"{name} {version(name)}"
        for name in ("ZEO", "BTrees", "persistent", "transaction")
    )
    green = ", ".join(f"{name} {version(name)}" for name in ("gevent", "gunicorn"))
    return (
        f"Python {described.get('python')}, ZODB {described.get('ZODB')}, {shared} (the same "
        f"versions in the reference environment); {green}"
    )


def _http_lines(http, run):
    from bench.http_load import HOT_ENDPOINTS
    from bench.http_load import WORKERS
    from bench.http_load import endpoints

    ids = {"cowboy": "<id>", "raw_cowboy": "<id>", "tally": "<id>"}
    titles = {key: title for key, title, _method, _path in endpoints(ids)}
    rows = http["endpoints"]
    lines = ["### The saloon on gunicorn", ""]
    lines += _prose(
        f"examples/saloon on {WORKERS} gevent workers against a ZEO server, this project "
        "only (sheraf 0.6.0 has no gevent support to run it), with the endpoints of "
        "bench/http_app.py beside it in the same workers: the saloon's read endpoint "
        "written on raw ZODB by hand (its own `ZODB.DB` over the same cooperative ZEO "
        "client, `DB.open()`, the lookup, `close()`), and a CounterAttribute increment. "
        "The endpoints take turns within each round; after them, raw sequential "
        "commits against the same ZEO server, from the bench's process, give the "
        "commit rate the hot endpoints are compared with. The load comes from "
        f"{run['http_tool']}."
    )
    with_cpu = all("per_cpu_second" in row for row in rows.values())
    if with_cpu:
        lines += _prose(
            "The machine being shared, requests per CPU second of the workers (their CPU "
            "time, from /proc) are given too: other processes do not inflate them."
        )
    header = "| endpoint | requests/s | ratio to the empty endpoint |"
    header += " requests per CPU second | ratio |" if with_cpu else ""
    lines += [header + " failed requests |", "|---|" + "--:|" * (header.count("|") - 1)]
    for key, row in rows.items():
        cells = [titles[key], f"{row['per_second']:.0f}", ratio_cell(row["to_empty"])]
        if with_cpu:
            cells += [f"{row['per_cpu_second']:.0f}", ratio_cell(row["cpu_to_empty"])]
        lines.append("| " + " | ".join(cells + [str(row["failed"])]) + " |")
    lines += [""]
    lines += _prose(
        f"Raw sequential ZEO commits: {http['raw_commits']:.0f} per second (median of "
        "the rounds)."
    )
    lines += [
        "| goal | requests/s ratio | requests per CPU second ratio |",
        "|---|--:|--:|",
    ]
    for goal in HTTP_GOALS:
        cpu_ratio = http["cpu_ratios"].get(goal.key)
        lines.append(
            f"| {goal.title} | {ratio_cell(http['ratios'][goal.key])} | "
            f"{ratio_cell(cpu_ratio) if cpu_ratio else '—'} |"
        )
    lines += [""]
    practices = run["practices"]
    counts = "; ".join(
        f"{titles[key].split(' (')[0]}: {practices[key]['counted']} counted for "
        f"{practices[key]['answered']} answered with success"
        for key in HOT_ENDPOINTS
    )
    lines += _prose(
        f"Writes to the hot objects: {counts} (the count may be a few more: requests in "
        "flight when a load stops are served, but not counted as answered)."
    )
    return lines


def _memory_lines(memory, names, pairs):
    lines = ["### Memory", ""]
    lines += _prose(
        f"The resident memory (VmRSS) of a fresh worker process of each implementation "
        f"that opens the FileStorage of {memory['held']} instances (created by another "
        "process) with a cache large enough for all of them, and reads two attributes "
        "of each: then all of them are held in the connection's cache. *Added*: the "
        "resident memory the loading added to the process, after its imports. Here a "
        "ratio compares memory (1.20x: a fifth more)."
    )
    lines += _comparison_header(["figure"], names, pairs)
    for title, values, ratios in (
        ("resident memory", memory["rss"], memory["ratios"]),
        ("added by loading", memory["added"], memory["added_ratios"]),
    ):
        cells = [title] + [f"{values[name] / 2**20:.1f} MiB" for name in names]
        cells += [ratio_cell(ratios[f"{a}/{b}"]) for a, b in pairs]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def _profile_lines(profiles):
    lines = [
        "",
        "### Where this project spends the time of the workloads below their goal",
        "",
    ]
    lines += _prose(
        "From `python -m bench.profile WORKLOAD`, which runs the project's side of a "
        "workload under cProfile (which slows every call alike): percentages of the "
        "profiled time, spent in the function itself (own) or with what it calls (total)."
    )
    for key, text in profiles.items():
        lines += [f"`{key}`:", "", "```", text.rstrip(), "```", ""]
    return lines[:-1]


def write(path, section):
    """Put ``section`` in the file at ``path``, in place of the one a
    previous run wrote, or after the title; the rest stays as it is."""
    path = Path(path)
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
    elif text.startswith("# "):
        title, _, after = text.partition("\n")
        before, after = title + "\n\n", after.lstrip("\n")
    else:
        before, after = "# Benchmarks\n\n", text
    path.write_text(before + section + ("\n" + after if after else ""))
