import pytest

# Scenario scripts run in their own interpreters, with their own arguments.
collect_ignore = ["green_scenarios.py"]


@pytest.fixture
def db(sheraf_database):
    """The default database, in memory."""
    return sheraf_database
