"""The saloon's WSGI application, on Flask: a JSON API and an HTML page.

- ``GET /``: the cowboys, a form to hire one, a button to practice;
- ``POST /cowboys`` (the hiring form), ``POST /cowboys/<id>/practice``;
- ``GET /cowboys/<id>``, ``POST /cowboys/<id>``: a form to rename a cowboy;
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

import os

import flask
from werkzeug.exceptions import HTTPException

import sheraf
from examples.saloon.forms import CowboyForm
from examples.saloon.models import Cowboy
from sheraf.green.wsgi import ConnectionMiddleware

database = sheraf.Database(
    os.environ.get("SALOON_DATABASE", "memory://"),
    db_args={"open_timeout": float(os.environ.get("SALOON_OPEN_TIMEOUT", "30"))},
)

saloon = flask.Flask(__name__, static_folder=None)
# Exceptions Flask has no handler for reach the middleware, which replays a
# request on a ConflictError and answers 503 when the database is away;
# Flask would turn them into a plain 500 otherwise.
saloon.config["PROPAGATE_EXCEPTIONS"] = True

# The routes that never open a connection.
outside = flask.Flask(f"{__name__}.outside", static_folder=None)


@outside.get("/health")
def health():
    return flask.Response("ok\n", mimetype="text/plain")


def hire(form):
    """Hire the cowboy ``form`` describes: the cowboy (or ``None``, the
    reason being in the form's errors) and the HTTP status that says so."""
    if not form.validate():
        return None, 400
    try:
        return Cowboy.create(**form.data), 201
    except sheraf.UniqueIndexException:
        return None, name_taken(form)


def name_taken(form):
    """Say in ``form`` that its name is taken; the HTTP status for it."""
    form.name.errors.append(f"There is already a cowboy named {form.name.data!r}.")
    return 409


def practice(cowboy_id):
    cowboy = Cowboy.read(cowboy_id)
    cowboy.gunskill += 1
    return cowboy


@saloon.get("/")
def index():
    return page_of_cowboys(CowboyForm())


def page_of_cowboys(form, status=200):
    """The saloon's page, its hiring form being ``form``."""
    cowboys = Cowboy.order(name=sheraf.ASC)
    return flask.render_template("index.html", cowboys=cowboys, form=form), status


@saloon.post("/cowboys")
def hire_from_form():
    form = CowboyForm(flask.request.form)
    cowboy, status = hire(form)
    if cowboy is None:
        return page_of_cowboys(form, status)
    return flask.redirect(flask.url_for("index"), 303)


@saloon.post("/cowboys/<cowboy_id>/practice")
def practice_from_form(cowboy_id):
    practice(cowboy_id)
    return flask.redirect(flask.url_for("index"), 303)


@saloon.route("/cowboys/<cowboy_id>", methods=["GET", "POST"])
def rename(cowboy_id):
    """The form filled from the cowboy; once sent and valid, the cowboy
    filled from the form."""
    cowboy = Cowboy.read(cowboy_id)
    form = CowboyForm(flask.request.form or None, cowboy)
    status = 200
    if flask.request.method == "POST":
        if not form.validate():
            status = 400
        else:
            try:
                cowboy.assign(**form.data)
                return flask.redirect(flask.url_for("index"), 303)
            except sheraf.UniqueIndexException:
                status = name_taken(form)
    return flask.render_template("rename.html", cowboy=cowboy, form=form), status


@saloon.get("/api/cowboys")
def list_json():
    return [cowboy.as_json() for cowboy in Cowboy.all()]


@saloon.post("/api/cowboys")
def hire_json():
    payload = flask.request.get_json(force=True, silent=True)
    if not isinstance(payload, dict):
        flask.abort(400, 'The body must be a JSON object: {"name": ...}.')
    form = CowboyForm(data=payload)
    cowboy, status = hire(form)
    if cowboy is None:
        flask.abort(status, " ".join(form.name.errors))
    return cowboy.as_json(), status


@saloon.get("/api/cowboys/<cowboy_id>")
def read_json(cowboy_id):
    return Cowboy.read(cowboy_id).as_json()


@saloon.post("/api/cowboys/<cowboy_id>/practice")
def practice_json(cowboy_id):
    return practice(cowboy_id).as_json()


@saloon.errorhandler(sheraf.ModelObjectNotFoundException)
def no_such_cowboy(error):
    return answer_error(404, str(error))


@saloon.errorhandler(HTTPException)
def http_error(error):
    return answer_error(error.code, error.description)


def answer_error(status, message):
    """The API answers errors in JSON, the pages in HTML."""
    if flask.request.path.startswith("/api/"):
        return {"error": message}, status
    return flask.render_template("error.html", message=message), status


DEBUG = os.environ.get("SALOON_DEBUG") == "1"
if DEBUG:
    from examples.saloon import debug

    saloon.register_blueprint(debug.in_transaction)
    outside.register_blueprint(debug.outside)

with_connections = ConnectionMiddleware(saloon)
OUTSIDE_PATHS = {rule.rule for rule in outside.url_map.iter_rules()}


def application(environ, start_response):
    """The saloon, with the routes of ``outside`` kept out of the database."""
    path = environ.get("PATH_INFO") or "/"
    app = outside if path in OUTSIDE_PATHS else with_connections
    return app(environ, start_response)


if DEBUG:
    application = debug.signed(application)
