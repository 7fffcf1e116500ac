import io

import pytest
from ZODB.POSException import ConflictError

import sheraf
from sheraf.green.wsgi import ConnectionMiddleware


class Visit(sheraf.Model):
    table = "wsgi_visits"
    path = sheraf.StringAttribute()
    body = sheraf.SimpleAttribute()


def call(app, body=b"", method="POST"):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    response = {}

    def start_response(status, headers, exc_info=None):
        response["status"], response["headers"] = status, dict(headers)

    chunks = app(environ, start_response)
    return response["status"], response["headers"], b"".join(chunks)


def recorder(status="200 OK", raises=None, conflicts=0):
    """An application that files a Visit with the request body."""
    calls = []

    def app(environ, start_response):
        calls.append(1)
        Visit.create(path=environ["PATH_INFO"], body=environ["wsgi.input"].read())
        if len(calls) <= conflicts:
            raise ConflictError()
        if raises:
            raise raises
        start_response(status, [("Content-Type", "text/plain")])
        return [b"done"]

    return app, calls


def visits():
    with sheraf.connection():
        return [visit.body for visit in Visit.all()]


def test_success_commits(db):
    app, _ = recorder()
    assert call(ConnectionMiddleware(app), b"hello")[::2] == ("200 OK", b"done")
    assert visits() == [b"hello"]


def test_client_errors_commit_too(db):
    app, _ = recorder(status="404 Not Found")
    assert call(ConnectionMiddleware(app), b"x")[0] == "404 Not Found"
    assert visits() == [b"x"]


def test_a_5xx_aborts(db):
    app, _ = recorder(status="500 Internal Server Error")
    assert call(ConnectionMiddleware(app), b"x")[0] == "500 Internal Server Error"
    assert visits() == []


def test_an_exception_aborts_and_propagates(db):
    app, _ = recorder(raises=ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        call(ConnectionMiddleware(app), b"x")
    assert visits() == []


def test_conflicts_replay_the_request_with_its_body(db):
    app, calls = recorder(conflicts=2)
    assert call(ConnectionMiddleware(app), b"again")[::2] == ("200 OK", b"done")
    assert len(calls) == 3
    assert visits() == [b"again"]  # the two conflicting attempts wrote nothing


def test_conflicts_beyond_the_bound_are_a_503(db):
    app, calls = recorder(conflicts=100)
    status, headers, body = call(ConnectionMiddleware(app, attempts=3), b"x")
    assert status == "503 Service Unavailable"
    assert headers["Retry-After"] == "1"
    assert b"conflicted with others 3 times" in body
    assert len(calls) == 3
    assert visits() == []


def test_large_bodies_are_replayed_from_a_file(db):
    app, _ = recorder(conflicts=1)
    body = b"0123456789" * 100_000
    assert call(ConnectionMiddleware(app, spool_size=1024), body)[0] == "200 OK"
    assert visits() == [body]


def test_an_unreachable_database_is_a_503(sheraf_zeo_server):
    process, port = sheraf_zeo_server
    database = sheraf.Database(f"zeo://127.0.0.1:{port}?wait_timeout=1")
    app, _ = recorder()
    sheraf.servers.stop_zeo_server(process)
    try:
        status, _, body = call(ConnectionMiddleware(app))
        assert status == "503 Service Unavailable"
        assert b"The database cannot be reached" in body
    finally:
        database.close()
