import pytest


@pytest.fixture
def db(sheraf_database):
    """The default database, in memory."""
    return sheraf_database
