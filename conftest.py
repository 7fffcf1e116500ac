import pathlib

import pytest
from _pytest.doctest import DoctestItem

import sheraf

# The saloon's fixtures (a gunicorn instance per test) serve several test modules.
pytest_plugins = ["tests.saloon_load"]

PACKAGE = pathlib.Path(sheraf.__file__).parent


@pytest.fixture(autouse=True)
def sheraf_databases(request):
    """The doctests of the package's docstrings run with a default in-memory
    database. Every test ends with no database left open."""
    node = request.node
    if isinstance(node, DoctestItem) and PACKAGE in node.path.parents:
        sheraf.Database()
    yield
    for _name, database in list(sheraf.Database.all()):
        database.close()
