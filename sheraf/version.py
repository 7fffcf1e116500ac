"""sheraf's version, read from the installed package's metadata (pyproject.toml
is its one source).

>>> import sheraf.version
>>> sheraf.version.__version__ == sheraf.__version__
True
>>> sheraf.version.__version_info__[:2] >= (1, 0)
True
"""

from importlib.metadata import version as _distribution_version

__version__: str = _distribution_version("sheraf")
__version_info__: tuple[int | str, ...] = tuple(
    int(part) if part.isdigit() else part for part in __version__.split(".")
)
