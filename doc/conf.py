"""Sphinx settings: ``sphinx-build -W -b html doc build/html`` (warnings are
errors, as in CI). The pages are doctests too, run by pytest."""

import importlib.metadata

project = "sheraf"
author = "sheraf's authors"
release = importlib.metadata.version("sheraf")
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
]
# The pages' doctests need sheraf in their namespace, as pytest gives it.
doctest_global_setup = "import sheraf"

exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True}
html_theme = "alabaster"
# Type hints name the builtin ``type``, which attributes' ``type`` class
# attributes make ambiguous; the builtin is meant.
suppress_warnings = ["ref.python"]
