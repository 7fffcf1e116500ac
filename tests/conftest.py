import os
import uuid
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import pytest

# Scenario scripts run in their own interpreters, with their own arguments.
collect_ignore = ["green_scenarios.py"]


@pytest.fixture
def db(sheraf_database):
    """The default database, in memory."""
    return sheraf_database


#: A libpq URI of a PostgreSQL server whose user may create databases, for
#: the RelStorage tests; .ci/postgresql.sh starts one and sets it.
POSTGRESQL = os.environ.get("SHERAF_TEST_POSTGRESQL")
NO_POSTGRESQL = (
    "SHERAF_TEST_POSTGRESQL is not set, so there is no PostgreSQL server for the "
    "RelStorage tests: `bash .ci/postgresql.sh .venv/bin/python -m pytest` starts one "
    "and runs them"
)


def relstorage_uri(database, **query):
    """The RelStorage URI of ``database`` on the server of SHERAF_TEST_POSTGRESQL."""
    parts = urlsplit(POSTGRESQL)
    query_string = "&".join(f"{key}={value}" for key, value in query.items())
    return urlunsplit(("postgres", parts.netloc, f"/{database}", query_string, ""))


@pytest.fixture
def pg_database():
    """The name of a new, empty PostgreSQL database, dropped at the end."""
    if not POSTGRESQL:
        pytest.skip(NO_POSTGRESQL)
    import psycopg2

    name = f"sheraf_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(POSTGRESQL, connect_timeout=10)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def pg_uri(pg_database):
    """The RelStorage URI of a new, empty PostgreSQL database."""
    return relstorage_uri(pg_database)


@pytest.fixture(params=["zeo", "relstorage"])
def storage_uri(request):
    """The URI of a new database, on a ZEO server, then on RelStorage."""
    if request.param == "zeo":
        _, port = request.getfixturevalue("sheraf_zeo_server")
        return f"zeo://127.0.0.1:{port}"
    return request.getfixturevalue("pg_uri")
