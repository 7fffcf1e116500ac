"""The released sheraf, in its own virtual environment (both packages are
named ``sheraf``): ``bench/.reference-venv``, built on first use.

It gets the same versions of ZODB, ZEO, BTrees and their kin as the
environment that runs the benchmark, so that only the mapper differs.
"""

import json
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

RELEASE = "0.6.0"
SHARED = ("ZODB", "ZEO", "BTrees", "persistent", "transaction", "zodbpickle", "zodburi")
VENV = Path(__file__).resolve().parent / ".reference-venv"
MARKER = VENV / "bench-requirements.json"
BUILD_TIMEOUT = 900


def requirements():
    """What the reference environment holds."""
    return [f"sheraf[zeo]=={RELEASE}"] + [f"{name}=={version(name)}" for name in SHARED]


def python(mode, log_path):
    """The Python of the reference environment, and a note for the report.

    :param mode: ``"auto"`` builds the environment when it is missing or
        holds other versions; ``"if-built"`` uses it only if it is built;
        ``"skip"`` does not use it. Without it, the Python is ``None`` and
        the note says why.
    """
    wanted = requirements()
    interpreter = VENV / "bin" / "python"
    if mode == "skip":
        return None, "not measured (`--reference skip`)"
    if (
        interpreter.exists()
        and MARKER.exists()
        and json.loads(MARKER.read_text()) == wanted
    ):
        return interpreter, f"sheraf {RELEASE} from PyPI, in bench/.reference-venv"
    if mode == "if-built":
        return (
            None,
            "not measured: bench/.reference-venv is not built (`python -m bench` builds it)",
        )
    try:
        build(wanted, log_path)
    except (OSError, subprocess.SubprocessError) as error:
        return (
            None,
            f"not measured: building bench/.reference-venv failed ({error}; see {log_path})",
        )
    return (
        interpreter,
        f"sheraf {RELEASE} from PyPI, in bench/.reference-venv (built by this run)",
    )


def build(wanted, log_path):
    """A new virtual environment with ``wanted`` installed by pip."""
    shutil.rmtree(VENV, ignore_errors=True)
    print(f"Building the reference environment: {' '.join(wanted)}", flush=True)
    with open(log_path, "a") as log:
        subprocess.run(
            [sys.executable, "-m", "venv", str(VENV)],
            check=True,
            stdout=log,
            stderr=log,
        )
        subprocess.run(
            [
                str(VENV / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                *wanted,
            ],
            check=True,
            stdout=log,
            stderr=log,
            timeout=BUILD_TIMEOUT,
        )
    MARKER.write_text(json.dumps(wanted))
