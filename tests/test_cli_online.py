"""``sheraf URI rebuild`` on a live database: the saloon serves writes under
gunicorn's gevent workers while the command rebuilds the indexes of the
table they write to, batch by batch. Every acknowledged write is there
afterwards, and ``sheraf URI check`` is clean."""

import collections
import subprocess

from tests.saloon_load import Load
from tests.saloon_load import call
from tests.saloon_load import hire
from tests.saloon_load import saloon_factory  # noqa: F401 (a fixture)
from tests.test_cli import PROJECT
from tests.test_cli import SHERAF
from tests.test_cli import sheraf_command

#: The saloon's models: every model of the package.
SALOON = "examples.saloon"


def test_a_rebuild_while_the_saloon_serves_writes_loses_none(
    saloon_factory,  # noqa: F811
):
    saloon = saloon_factory(workers=2)
    uri = f"zeo://127.0.0.1:{saloon.zeo_port}"
    regulars = [hire(saloon, f"regular{n}") for n in range(400)]

    def request(client, number):
        if number % 3 == 0:
            return "POST", "/api/cowboys", {"name": f"newcomer{client}-{number}"}
        cowboy_id = regulars[(client * 131 + number * 17) % len(regulars)]
        return "POST", f"/api/cowboys/{cowboy_id}/practice", None

    with Load(saloon.url, clients=6, request=request) as load:
        load.wait_for(lambda responses: len(responses) > 50, 30, "no request served")
        rebuild = subprocess.run(
            [SHERAF, uri, "rebuild", SALOON, "--commit", "--batch-size", "10"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        served_during_rebuild = len(load.responses)
    responses = load.responses
    assert rebuild.returncode == 0, rebuild.stderr
    assert "refiled" in rebuild.stdout
    assert served_during_rebuild > 100, served_during_rebuild

    statuses = collections.Counter(response.status for response in responses)
    assert set(statuses) <= {200, 201, 503}, statuses
    hired = {}
    practices = collections.Counter()
    for response in responses:
        method, path, body = response.request
        if response.status == 201:
            hired[response.body["id"]] = body["name"]
        elif response.status == 200:
            practices[path.split("/")[3]] += 1
    assert len(hired) > 20 and sum(practices.values()) > 50, statuses

    for cowboy_id, name in hired.items():
        found = call(saloon.url, "GET", f"/api/cowboys/{cowboy_id}")
        assert (found.status, found.body["name"]) == (200, name)
    for cowboy_id in regulars:
        found = call(saloon.url, "GET", f"/api/cowboys/{cowboy_id}")
        assert found.body["gunskill"] == practices[cowboy_id], cowboy_id
    # A name already taken is refused: the unique index has every newcomer.
    taken = next(iter(hired.values()))
    assert call(saloon.url, "POST", "/api/cowboys", {"name": taken}).status == 409

    check = sheraf_command(uri, "check", SALOON)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Traceback" not in saloon.log()
