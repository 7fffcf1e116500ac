"""The saloon example on real gunicorn processes against a real ZEO server."""

import http.client
import os
import signal
import threading
import time
from collections import Counter
from urllib.parse import urlencode

import pytest

from examples.saloon.launch import Saloon
from examples.saloon.launch import drive
from examples.saloon.launch import request

BAD_SIGNS = (
    "WORKER TIMEOUT",
    "was sent SIGKILL",
    "exited with code",
    "Traceback",
    "Worker failed",
)


@pytest.fixture
def saloon_factory(tmp_path):
    started = []

    def start(**settings):
        saloon = Saloon(str(tmp_path), **settings)
        started.append(saloon)
        return saloon

    yield start
    for saloon in started:
        saloon.stop()


def hire(saloon, name="George"):
    status, cowboy = request(saloon.url, "POST", "/api/cowboys", {"name": name})
    assert status == 201, cowboy
    return cowboy["id"]


def assert_stops_cleanly(saloon):
    log = saloon.log()
    assert not [sign for sign in BAD_SIGNS if sign in log], log[-3000:]
    assert saloon.stop() == 0
    with pytest.raises(ProcessLookupError):
        os.killpg(saloon.gunicorn.pid, 0)  # master and workers are all gone
    assert saloon.zeo.poll() is not None


@pytest.mark.parametrize("preload", [False, True], ids=["no-preload", "preload"])
def test_200_increments_20_at_a_time_are_all_counted(saloon_factory, preload):
    saloon = saloon_factory(workers=2, preload=preload)
    cowboy_id = hire(saloon)
    statuses, _ = drive(
        saloon.url, "POST", f"/api/cowboys/{cowboy_id}/practice", 200, 20
    )
    assert statuses.count(200) == 200, (Counter(statuses), saloon.log()[-3000:])
    assert request(saloon.url, "GET", f"/api/cowboys/{cowboy_id}")[1]["gunskill"] == 200
    reopened = saloon.log().count("opened database 'unnamed' again")
    assert reopened == (2 if preload else 0)
    assert_stops_cleanly(saloon)


@pytest.mark.parametrize("preload", [False, True], ids=["no-preload", "preload"])
def test_a_stopped_zeo_server_does_not_stop_the_workers(saloon_factory, preload):
    saloon = saloon_factory(workers=2, preload=preload)
    cowboy_id = hire(saloon)
    results = []

    def practice():
        results.append(
            request(
                saloon.url, "POST", f"/api/cowboys/{cowboy_id}/practice", timeout=60
            )[0]
        )

    os.kill(saloon.zeo.pid, signal.SIGSTOP)
    try:
        waiting = [threading.Thread(target=practice) for _ in range(6)]
        for thread in waiting:
            thread.start()
        time.sleep(0.5)
        for _ in range(10):
            started = time.monotonic()
            assert request(saloon.url, "GET", "/health", timeout=5)[0] == 200
            assert time.monotonic() - started < 1
        assert results == []  # the database requests wait
    finally:
        os.kill(saloon.zeo.pid, signal.SIGCONT)
    for thread in waiting:
        thread.join(30)
    assert results == [200] * 6
    assert request(saloon.url, "GET", f"/api/cowboys/{cowboy_id}")[1]["gunskill"] == 6
    assert_stops_cleanly(saloon)


@pytest.mark.parametrize("worker_class", ["sync", "gthread"])
def test_hooks_work_with_other_workers(saloon_factory, worker_class):
    saloon = saloon_factory(workers=2, preload=True, worker_class=worker_class)
    cowboy_id = hire(saloon)
    statuses, _ = drive(saloon.url, "POST", f"/api/cowboys/{cowboy_id}/practice", 40, 4)
    assert statuses.count(200) == 40, (Counter(statuses), saloon.log()[-3000:])
    assert request(saloon.url, "GET", f"/api/cowboys/{cowboy_id}")[1]["gunskill"] == 40
    assert saloon.log().count("opened database 'unnamed' again") == 2
    assert_stops_cleanly(saloon)


def test_the_api_answers_bad_requests_clearly(saloon_factory):
    saloon = saloon_factory(workers=1)
    hire(saloon, "George")
    assert request(saloon.url, "POST", "/api/cowboys", {"name": "George"})[0] == 409
    assert request(saloon.url, "POST", "/api/cowboys", {"name": ""})[0] == 400
    assert request(saloon.url, "POST", "/api/cowboys", [1, 2])[0] == 400
    assert request(saloon.url, "GET", "/api/cowboys/nope")[0] == 404
    assert request(saloon.url, "DELETE", "/api/cowboys")[0] == 405
    status, page = request(saloon.url, "GET", "/")
    assert status == 200 and "George" in page
    assert [c["name"] for c in request(saloon.url, "GET", "/api/cowboys")[1]] == [
        "George"
    ]
    assert_stops_cleanly(saloon)


def post_form(saloon, path, **fields):
    """POST an HTML form: the status, the Location header and the page."""
    connection = http.client.HTTPConnection(saloon.url.split("//", 1)[1], timeout=30)
    try:
        connection.request(
            "POST",
            path,
            urlencode(fields),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        page = response.read().decode()
        return response.status, response.getheader("Location"), page
    finally:
        connection.close()


def test_the_page_and_its_forms(saloon_factory):
    saloon = saloon_factory(workers=1)
    status, page = request(saloon.url, "GET", "/")
    assert status == 200 and "Nobody yet." in page
    assert post_form(saloon, "/cowboys", name="  George  ")[:2] == (303, "/")
    status, _, page = post_form(saloon, "/cowboys", name="George")
    assert status == 409 and "There is already a cowboy named &#39;George&#39;." in page
    status, _, page = post_form(saloon, "/cowboys", name=" ")
    assert status == 400 and "A cowboy needs a name." in page
    assert post_form(saloon, "/cowboys", name="<script>alert(1)</script>")[0] == 303
    page = request(saloon.url, "GET", "/")[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page

    cowboys = {
        c["name"]: c["id"] for c in request(saloon.url, "GET", "/api/cowboys")[1]
    }
    george = cowboys["George"]
    assert post_form(saloon, f"/cowboys/{george}/practice")[:2] == (303, "/")
    status, page = request(saloon.url, "GET", f"/cowboys/{george}")
    assert status == 200 and 'value="George"' in page  # filled from the model
    assert post_form(saloon, f"/cowboys/{george}", name="George A.")[:2] == (303, "/")
    status, _, page = post_form(
        saloon, f"/cowboys/{george}", name="<script>alert(1)</script>"
    )
    assert status == 409 and "There is already a cowboy named" in page
    assert request(saloon.url, "GET", f"/api/cowboys/{george}")[1] == {
        "id": george,
        "name": "George A.",
        "gunskill": 1,
    }
    status, page = request(saloon.url, "GET", "/cowboys/nope")
    assert status == 404 and "<h1>The saloon</h1>" in page
    assert post_form(saloon, "/cowboys/nope/practice")[0] == 404
    assert_stops_cleanly(saloon)
