"""pytest fixtures for projects that use sheraf.

Installing sheraf registers this module as a pytest plugin, which gives:

- ``sheraf_database``: an in-memory database, closed after the test;
- ``sheraf_connection``: a connection to it, aborted after the test;
- ``sheraf_zeo_server``: a real ZEO server on a free loopback port, as
  ``(process, port)``, always stopped after the test;
- ``sheraf_zeo_database``: a database on that server;
- ``sheraf`` in the namespace of doctests.

.. code-block:: python

    def test_cowboy(sheraf_connection):
        assert Cowboy.create(name="George").name == "George"
"""

import pytest

import sheraf
from sheraf.servers import start_zeo_server
from sheraf.servers import stop_zeo_server


@pytest.fixture(autouse=True)
def _sheraf_in_doctests(doctest_namespace):
    doctest_namespace["sheraf"] = sheraf


@pytest.fixture
def sheraf_database():
    """An in-memory database, closed after the test."""
    database = sheraf.Database()
    yield database
    database.close()


@pytest.fixture
def sheraf_connection(sheraf_database):
    """A connection to ``sheraf_database``; its transaction is aborted after
    the test."""
    with sheraf_database.connection() as connection:
        yield connection


@pytest.fixture
def sheraf_zeo_server(tmp_path):
    """A ZEO server on a free loopback port, stopped after the test:
    ``(process, port)``."""
    process, port = start_zeo_server(str(tmp_path))
    yield process, port
    stop_zeo_server(process)


@pytest.fixture
def sheraf_zeo_database(sheraf_zeo_server):
    """A database on ``sheraf_zeo_server``, closed after the test."""
    _, port = sheraf_zeo_server
    database = sheraf.Database(f"zeo://127.0.0.1:{port}")
    yield database
    database.close()
