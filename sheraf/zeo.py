"""sheraf's ZEO client: ZEO's own, with these changes.

- Waiting for an answer is bounded. ZEO waits forever for the answer to a
  request once it is sent; sheraf waits ``response_timeout`` seconds (30 by
  default, ``zeo://host:port?response_timeout=5`` to change it, ``0`` for no
  bound), then raises :class:`ResponseTimeout` and drops the connection, so
  that ZEO reconnects and checks its cache against the server.
- Once gevent has patched :mod:`threading`, the client's networking runs on
  the event loop that all ZEO clients of the gevent hub share, in a greenlet
  (see :mod:`sheraf.green.zeo`); :func:`sheraf.cooperation.zeo_client_runner`
  chooses.
- A client that cannot reach its server raises :class:`Disconnected`, one of
  sheraf's :class:`~sheraf.exceptions.DatabaseUnavailableException` (and
  still a :class:`ZEO.Exceptions.ClientDisconnected`), so that code above
  the storage catches sheraf's exceptions only.
- A server that was killed and started again is safe to write to: see
  :class:`ClientStorage`.
- A connection sees every transaction the server acknowledged before it
  opened, from any client: ZEO's ``server_sync`` is on by default
  (``zeo://host:port?server_sync=false`` turns it off), so that opening a
  connection costs a round trip to the server; connections of a process
  that open at the same time share one (:class:`sheraf.gates.SharedCall`).
  Without it, a commit made by
  another process (a gunicorn worker, say) reaches this client
  asynchronously, and a request that follows it may not see it yet.

How long a request waits for the connection to come (back) is ZEO's own
``wait_timeout`` setting (30 s by default), which ends in
:class:`Disconnected`.
"""

import asyncio
import functools
import os
from collections.abc import Callable
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import ZEO.ClientStorage
from ZConfig.datatypes import asBoolean
from ZEO.asyncio.client import ClientThread
from ZEO.Exceptions import ClientDisconnected
from zodburi.resolvers import ClientStorageURIResolver

from sheraf.exceptions import DatabaseUnavailableException
from sheraf.exceptions import InvalidURIException
from sheraf.gates import SharedCall

DEFAULT_RESPONSE_TIMEOUT = 30.0


class Disconnected(DatabaseUnavailableException, ClientDisconnected):
    """The ZEO client is not connected to its server, and did not get
    connected in time."""


class ResponseTimeout(Disconnected):
    """The ZEO server did not answer a request in time."""


def _raise_as_disconnected(exc):
    """Raise ``exc``, a :class:`~ZEO.Exceptions.ClientDisconnected`, as one
    of sheraf's exceptions."""
    if isinstance(exc, Disconnected):
        raise exc
    raise Disconnected(
        f"The ZEO client is not connected to its server: {str(exc) or 'disconnected'}."
    ) from exc


def _shared_round_trip_failed(exc):
    """What a connection gets when the round trip it shared with others
    failed: the same kind of :class:`Disconnected`."""
    kind = type(exc) if isinstance(exc, Disconnected) else Disconnected
    return kind(f"The ZEO server's answer to a shared round trip failed: {exc}")


def zeo_storage_factory(
    uri: str,
    runner_class: Callable[[], type],
    response_timeout: float | str = DEFAULT_RESPONSE_TIMEOUT,
    server_sync: bool | str = True,
) -> Callable[[], "ClientStorage"]:
    """A function that opens the :class:`~ZEO.ClientStorage.ClientStorage`
    ``uri`` names, with sheraf's client; ``runner_class()`` says, when it
    opens, which class runs the client's networking."""
    try:
        response_timeout = float(response_timeout) or None
    except ValueError:
        raise InvalidURIException(
            f"Cannot open {uri!r}: response_timeout must be a number of "
            f"seconds, not {response_timeout!r}."
        ) from None

    if isinstance(server_sync, str):
        try:
            server_sync = asBoolean(server_sync)
        except ValueError:
            raise InvalidURIException(
                f"Cannot open {uri!r}: server_sync must be true or false, "
                f"not {server_sync!r}."
            ) from None

    parts = urlsplit(uri)
    if parts.netloc:
        address = (parts.hostname or "", parts.port or 9991)
    else:
        address = os.path.normpath(parts.path)
    options, _database_options = ClientStorageURIResolver().interpret_kwargs(
        dict(parse_qsl(parts.query))
    )

    def open_client_storage():
        client_factory = functools.partial(
            runner_class(), response_timeout=response_timeout
        )
        return ClientStorage(
            address,
            _client_factory=client_factory,
            server_sync=server_sync,
            response_timeout=response_timeout,
            **options,
        )

    return open_client_storage


class ClientStorage(ZEO.ClientStorage.ClientStorage):
    """ZEO's client storage, right after a server comes back.

    - ZEO takes object ids from the server 100 at a time. A server that was
      killed, then started again, gives out again the ids that no
      transaction stored: the ones a client still holds would be given to
      another client too. A client forgets them when it (re)connects.
    - Aborting a transaction does not wait for the server to come back: a
      server forgets the transactions of a connection it lost. A commit that
      cannot reach the server then fails once ``wait_timeout`` is over, not
      twice that.
    - With ``server_sync``, the connections that open at the same time
      share one round trip to the server (:meth:`sync`), as fresh for each
      of them as its own would be.
    """

    def __init__(self, *args, response_timeout=DEFAULT_RESPONSE_TIMEOUT, **kwargs):
        # Made before ZEO's __init__, which may connect (and call
        # notify_connected, in the client's thread) before it returns.
        self._shared_round_trip = SharedCall(
            lambda: self.ping(),
            # the round trip on its way, then the next one
            timeout=2 * response_timeout if response_timeout else None,
            failure=_shared_round_trip_failed,
        )
        super().__init__(*args, **kwargs)

    def notify_connected(self, conn, info):
        del self._oids[:]
        super().notify_connected(conn, info)
        if self.server_sync:
            # ZEO's sync with server_sync: its round trip, shared.
            self.sync = self._shared_round_trip

    def sortKey(self):
        try:
            return super().sortKey()
        except ClientDisconnected as exc:
            _raise_as_disconnected(exc)

    def _check_trans(self, trans, meth):
        try:
            return super()._check_trans(trans, meth)
        except ClientDisconnected as exc:
            _raise_as_disconnected(exc)

    def tpc_abort(self, txn, timeout=None):
        if timeout is None and not self.is_connected():
            timeout = 0
        super().tpc_abort(txn, timeout)


class BoundedWaits:
    """Mixin for ZEO client runners: waiting for an answer is bounded by
    ``response_timeout``, and a disconnection is a :class:`Disconnected`."""

    response_timeout = DEFAULT_RESPONSE_TIMEOUT

    def setup_delegation(self, loop):
        super().setup_delegation(loop)
        unbounded_io_call = self.io_call

        def io_call(coro, wait=True):
            try:
                future = unbounded_io_call(coro, wait=False)
                if not wait:
                    return future
                try:
                    return future.result(self.response_timeout)
                except asyncio.TimeoutError:
                    if future.done():
                        raise
                    loop.call_soon_threadsafe(self._drop_connection)
                    raise ResponseTimeout(
                        f"The ZEO server at {self.client.addrs!r} did not answer "
                        f"within {self.response_timeout:g} s; sheraf dropped the "
                        "connection, ZEO is reconnecting."
                    ) from None
                finally:
                    del future
            except ClientDisconnected as exc:
                _raise_as_disconnected(exc)

        self.io_call = io_call

    def async_(self, method, *args):
        try:
            return super().async_(method, *args)
        except ClientDisconnected as exc:
            _raise_as_disconnected(exc)

    def async_iter(self, it):
        try:
            return super().async_iter(it)
        except ClientDisconnected as exc:
            _raise_as_disconnected(exc)

    def _drop_connection(self):
        client = self.client
        protocol = client.protocol
        if protocol is not None:
            protocol.close("no answer within response_timeout")
            client.disconnected(protocol)


class ThreadedClientRunner(BoundedWaits, ClientThread):
    """ZEO's client networking on a thread of its own, with bounded waits."""

    def __init__(self, *args, response_timeout=DEFAULT_RESPONSE_TIMEOUT, **kwargs):
        self.response_timeout = response_timeout
        super().__init__(*args, **kwargs)
