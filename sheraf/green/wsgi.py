"""A WSGI middleware that runs each request in its own connection context.

The request commits when the application succeeds, aborts when it raises or
answers with a 5xx status, and runs again, a bounded number of times, when
the commit conflicts with another transaction. The request body is buffered
so that it can be read again, and the response is held until the commit, so
that a client never sees a success that was not committed.

.. code-block:: python

    from sheraf.green.wsgi import ConnectionMiddleware

    application = ConnectionMiddleware(my_app)

Inside the application, models work directly; code that opens its own
connection context should pass ``reuse=True``.
"""

import io
import logging
import tempfile
from collections.abc import Callable
from collections.abc import Iterable

from transaction.interfaces import TransientError

import sheraf
from sheraf.exceptions import DatabaseUnavailableException
from sheraf.transactions import Attempts

logger = logging.getLogger(__name__)


class ConnectionMiddleware:
    """Wrap ``app`` so that each request runs in a connection context of the
    database ``database_name`` (the default one if ``None``).

    :param attempts: how many times a request runs before a conflict is
        answered with a 503 (see :class:`sheraf.transactions.Attempts`).
    :param spool_size: request bodies larger than this many bytes are
        buffered in a temporary file instead of memory.
    """

    def __init__(
        self,
        app: Callable,
        database_name: str | None = None,
        attempts: int = 20,
        spool_size: int = 1 << 20,
    ) -> None:
        self.app = app
        self.database_name = database_name
        self.attempts = attempts
        self.spool_size = spool_size

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = self._buffer_body(environ)
        try:
            database = sheraf.Database.get(self.database_name)
            tries = Attempts(database, self.attempts, log_exceptions=False)
            for attempt in tries:
                with attempt:
                    body.seek(0)
                    status, headers, chunks = self._run(
                        database, dict(environ, **{"wsgi.input": body}), attempt
                    )
            start_response(status, headers)
            return chunks
        except DatabaseUnavailableException as exc:
            return _unavailable(start_response, "The database cannot be reached.", exc)
        except TransientError as exc:  # what Attempts tried again, in vain
            return _unavailable(
                start_response,
                f"The request conflicted with others {self.attempts} times.",
                exc,
            )
        finally:
            body.close()

    def _run(self, database, environ, attempt):
        """Run the application in a connection context; its status, headers
        and body, once committed (or aborted, for a 5xx)."""
        response = []

        def start_response(status, headers, exc_info=None):
            # Nothing is sent before the commit: a later call (with exc_info,
            # for an error page) replaces the status and headers.
            response[:] = [status, headers]
            return response_body.append

        response_body = []
        context = database.connection()
        with context:
            result = self.app(environ, start_response)
            try:
                response_body.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            status, headers = response
            context.commit = not status.startswith("5")
            attempt.committing()
        return status, headers, response_body

    def _buffer_body(self, environ):
        length = environ.get("CONTENT_LENGTH")
        remaining = int(length) if length else None
        if not remaining and "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", ""):
            return io.BytesIO()
        buffer = tempfile.SpooledTemporaryFile(max_size=self.spool_size)
        source = environ.get("wsgi.input") or io.BytesIO()
        while remaining is None or remaining > 0:
            chunk = source.read(65536 if remaining is None else min(65536, remaining))
            if not chunk:
                break
            buffer.write(chunk)
            if remaining is not None:
                remaining -= len(chunk)
        return buffer


def _unavailable(start_response, message, exc):
    logger.warning("%s (%s: %s)", message, exc.__class__.__name__, exc)
    body = f"503 Service Unavailable: {message} Try again later.\n".encode()
    start_response(
        "503 Service Unavailable",
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Retry-After", "1"),
        ],
    )
    return [body]
