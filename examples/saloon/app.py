"""The saloon's WSGI application: a JSON API and a plain HTML page.

- ``GET /``: the cowboys, a form to hire one, a button to practice;
- ``GET /api/cowboys``, ``POST /api/cowboys`` (``{"name": ...}``);
- ``GET /api/cowboys/<id>``, ``POST /api/cowboys/<id>/practice``
  (gunskill + 1);
- ``GET /health``: answers without touching the database;
- with ``SALOON_DEBUG=1``, the routes of :mod:`examples.saloon.debug`.

The database URI comes from ``SALOON_DATABASE`` (in memory by default),
and how long a request may wait for a connection of the pool from
``SALOON_OPEN_TIMEOUT`` (seconds, 30 by default).
Every route but ``/health`` runs in
:class:`sheraf.green.wsgi.ConnectionMiddleware`: one connection per
request, committed when the route succeeds, replayed on a conflict.
"""

import functools
import html
import json
import os
import re
from urllib.parse import parse_qs

import sheraf
from examples.saloon.models import Cowboy
from sheraf.green.wsgi import ConnectionMiddleware

database = sheraf.Database(
    os.environ.get("SALOON_DATABASE", "memory://"),
    db_args={"open_timeout": float(os.environ.get("SALOON_OPEN_TIMEOUT", "30"))},
)


class HTTPError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def read_cowboy(cowboy_id):
    try:
        return Cowboy.read(cowboy_id)
    except sheraf.ModelObjectNotFoundException:
        raise HTTPError("404 Not Found", f"No cowboy {cowboy_id!r}.") from None


def hire(name):
    if not isinstance(name, str) or not name.strip():
        raise HTTPError("400 Bad Request", "A cowboy needs a name.")
    try:
        return Cowboy.create(name=name.strip())
    except sheraf.UniqueIndexException:
        raise HTTPError(
            "409 Conflict", f"There is already a cowboy named {name!r}."
        ) from None


def practice(cowboy_id):
    cowboy = read_cowboy(cowboy_id)
    cowboy.gunskill += 1
    return cowboy


def list_json(environ):
    return "200 OK", [cowboy.as_json() for cowboy in Cowboy.all()]


def create_json(environ):
    try:
        payload = json.loads(environ["wsgi.input"].read() or b"{}")
    except ValueError:
        raise HTTPError("400 Bad Request", "The body is not JSON.") from None
    if not isinstance(payload, dict):
        raise HTTPError("400 Bad Request", 'The body must be an object: {"name": ...}.')
    return "201 Created", hire(payload.get("name")).as_json()


def read_json(environ, cowboy_id):
    return "200 OK", read_cowboy(cowboy_id).as_json()


def practice_json(environ, cowboy_id):
    return "200 OK", practice(cowboy_id).as_json()


def index_page(environ):
    rows = "".join(
        f"<li>{html.escape(cowboy.name)}: gunskill {cowboy.gunskill} "
        f'<form method="post" action="/cowboys/{cowboy.id}/practice" style="display:inline">'
        f"<button>Practice</button></form></li>"
        for cowboy in Cowboy.order(name=sheraf.ASC)
    )
    page = (
        "<!doctype html><title>Saloon</title><h1>The saloon</h1>"
        f"<ul>{rows or '<li>Nobody yet.</li>'}</ul>"
        '<form method="post" action="/cowboys"><input name="name" placeholder="Name">'
        "<button>Hire</button></form>"
    )
    return "200 OK", page


def create_from_form(environ):
    form = parse_qs(environ["wsgi.input"].read().decode("utf-8", "replace"))
    hire(form.get("name", [""])[0])
    return "303 See Other", "/"


def practice_from_form(environ, cowboy_id):
    practice(cowboy_id)
    return "303 See Other", "/"


ROUTES = [
    ("GET", r"/", index_page),
    ("POST", r"/cowboys", create_from_form),
    ("POST", r"/cowboys/(?P<cowboy_id>[^/]+)/practice", practice_from_form),
    ("GET", r"/api/cowboys", list_json),
    ("POST", r"/api/cowboys", create_json),
    ("GET", r"/api/cowboys/(?P<cowboy_id>[^/]+)", read_json),
    ("POST", r"/api/cowboys/(?P<cowboy_id>[^/]+)/practice", practice_json),
]


def saloon(environ, start_response):
    """Dispatch to a route, and turn its result into a response."""
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/"
    try:
        status, result = _dispatch(method, path, environ)
    except HTTPError as error:
        status, result = error.status, {"error": str(error)}
    if status.startswith("303"):
        start_response(status, [("Location", result), ("Content-Length", "0")])
        return [b""]
    if isinstance(result, str):
        body, content_type = result.encode(), "text/html; charset=utf-8"
    else:
        body, content_type = json.dumps(result).encode(), "application/json"
    start_response(
        status, [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    )
    return [body]


def _dispatch(method, path, environ):
    allowed = False
    for route_method, pattern, handler in ROUTES:
        match = re.fullmatch(pattern, path)
        if match:
            allowed = True
            if route_method == method:
                return handler(environ, **match.groupdict())
    if allowed:
        raise HTTPError("405 Method Not Allowed", f"{method} is not allowed on {path}.")
    raise HTTPError("404 Not Found", f"Nothing at {path}.")


def health(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [b"ok\n"]


DEBUG = os.environ.get("SALOON_DEBUG") == "1"
if DEBUG:
    from examples.saloon import debug

    ROUTES.append(
        (
            "POST",
            r"/debug/duel/(?P<winner>[^/]+)/(?P<loser>[^/]+)",
            functools.partial(debug.duel, read_cowboy=read_cowboy),
        )
    )

with_connections = ConnectionMiddleware(saloon)


def application(environ, start_response):
    """The saloon, with ``/health`` kept out of the database."""
    if DEBUG:
        start_response = debug.signed(start_response)
        if environ.get("PATH_INFO") == "/debug/state":
            return debug.state(environ, start_response)
    if environ.get("PATH_INFO") == "/health":
        return health(environ, start_response)
    return with_connections(environ, start_response)
