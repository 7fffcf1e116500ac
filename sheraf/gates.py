"""Gates that let a bounded number of threads or greenlets through.

Databases use a :class:`Gate` to bound the connections open at once
(``pool_size``), and :class:`Lanes` to let one conflicting transaction at a
time try again on each object that conflicted, so that retries do not keep
colliding with each other. A ZEO client shares its round trips to the
server among the connections that open at the same time with a
:class:`SharedCall`.

>>> gate = Gate(1)
>>> ticket = gate.enter(timeout=1)
>>> gate.leave(ticket)
"""

import os
import threading
import time
from collections.abc import Callable
from collections.abc import Hashable


class Gate:
    """At most ``size`` holders at once; the others wait for a place.

    Waiting is cooperative under gevent. A caller that already holds a place
    does not wait for one, and neither does, without gevent, a greenlet of a
    thread whose other greenlets hold places: they could not run again to
    leave. Such a caller goes through without holding the gate.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._waiting = 0
        self._holders = {}
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)

    def enter(self, timeout: float) -> int | None:
        """Wait for a place, ``timeout`` seconds at most.

        :return: the ticket to :meth:`leave` with, once the caller holds a
            place; ``None`` if it goes through without one.
        :raise TimeoutError: when no place came free in time.
        """
        thread = threading.get_ident()
        with self._lock:
            if not self._free:
                if self._holders.get(thread):
                    # This greenlet (under gevent), or a greenlet of this
                    # thread (without), holds a place: waiting for it to
                    # leave would never end.
                    return None
                self._waiting += 1
                try:
                    if not self._freed.wait_for(lambda: self._free, timeout):
                        raise TimeoutError(f"no place came free in {timeout:g} s")
                finally:
                    self._waiting -= 1
            self._free -= 1
            self._holders[thread] = self._holders.get(thread, 0) + 1
        return thread

    def leave(self, ticket: int) -> None:
        """Give back the place :meth:`enter` gave ``ticket`` for, from any
        thread or greenlet (the one that entered may have ended)."""
        thread = ticket
        with self._lock:
            self._free += 1
            held = self._holders[thread] - 1
            if held:
                self._holders[thread] = held
            else:
                del self._holders[thread]
            if self._waiting:
                self._freed.notify()


class Lane:
    """The gate of one key of :class:`Lanes`, and how many callers wait for
    or hold it."""

    __slots__ = ("gate", "users")

    def __init__(self):
        self.gate = Gate(1)
        self.users = 0


class Lanes:
    """One :class:`Lane` (a :class:`Gate` of one place) per key, made when a
    key is first asked for and forgotten once nobody waits for or holds it.

    >>> lanes = Lanes()
    >>> turn = lanes.enter("an object", timeout=1)
    >>> lanes.wait_until_empty(timeout=0)
    False
    >>> lanes.leave(turn)
    >>> lanes.wait_until_empty(timeout=0)
    True
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._emptied = threading.Condition(self._lock)
        self._lanes = {}

    def wait_until_empty(self, timeout: float) -> bool:
        """Wait until no lane is waited for or held, ``timeout`` seconds at
        most; whether none is."""
        if not self._lanes:
            return True  # the usual case, without taking the lock
        with self._lock:
            return self._emptied.wait_for(lambda: not self._lanes, timeout)

    def enter(self, key: Hashable, timeout: float) -> tuple | None:
        """Wait for the lane of ``key``, ``timeout`` seconds at most.

        :return: the turn to :meth:`leave` with, or ``None`` if the caller
            goes through without one (see :meth:`Gate.enter`).
        :raise TimeoutError: when the lane did not come free in time.
        """
        with self._lock:
            lane = self._lanes.get(key)
            if lane is None:
                lane = self._lanes[key] = Lane()
            lane.users += 1
        try:
            ticket = lane.gate.enter(timeout)
        except BaseException:
            self._forget(key, lane)
            raise
        if ticket is None:
            self._forget(key, lane)
            return None
        return key, lane, ticket

    def leave(self, turn: tuple) -> None:
        """Give back a turn :meth:`enter` gave."""
        key, lane, ticket = turn
        lane.gate.leave(ticket)
        self._forget(key, lane)

    def _forget(self, key, lane):
        with self._lock:
            lane.users -= 1
            if not lane.users and self._lanes.get(key) is lane:
                del self._lanes[key]
                if not self._lanes:
                    self._emptied.notify_all()


def _made_for():
    """What locks made now are made for: this process, and :mod:`threading`
    as gevent left it (its patching replaces ``threading.Lock``; see
    :func:`sheraf.cooperation.lock_factory`, which this module cannot import:
    the ZEO client it chooses uses this module)."""
    return os.getpid(), threading.Lock


class SharedCall:
    """Calls of ``function`` (which takes no argument) that callers waiting
    at the same time share.

    A caller gets a call that *started after it asked*: if one is running,
    it waits for that one to end, then for the next one, which it shares
    with every caller that asked in the meantime. So what ``function`` does
    (a round trip to a server, for instance) is as fresh for each caller as
    its own call would be, and under load one call serves many callers.

    A caller waits ``timeout`` seconds at most (``None``: no bound) for
    calls that others run; the call it runs itself is bounded by
    ``function``. When a shared call raises an :class:`Exception`, the
    caller that ran it gets that exception, and the others it served
    ``failure(exc)``, chained to it (a new exception: each caller gets its
    own traceback). A caller that asked while a call was on its way fails
    the same way if that call fails, instead of waiting for another one
    (the server it reaches could not be reached, say): its wait stays within
    what one call takes. A call interrupted otherwise (its greenlet killed,
    say) served nobody: another caller runs the next one.

    >>> calls = []
    >>> shared = SharedCall(lambda: calls.append("ping"), timeout=1)
    >>> shared(), shared(), calls
    (None, None, ['ping', 'ping'])
    """

    #: How many recent failed calls are remembered for their late waiters.
    KEPT_FAILURES = 64

    def __init__(
        self,
        function: Callable[[], object],
        timeout: float | None,
        failure: Callable[[BaseException], BaseException] = RuntimeError,
    ) -> None:
        self.function = function
        self.timeout = timeout
        self.failure = failure
        self._start_anew()

    def _start_anew(self):
        """Forget every call: at first, in a forked process (where no call
        of the parent runs), and once gevent has patched :mod:`threading`,
        so that waiting for a call is cooperative."""
        self._made_for = _made_for()
        self._lock = threading.Lock()
        self._ended = threading.Condition(self._lock)
        self._started = 0  # the number of the last call started
        self._served = 0  # the number of the last call that served its callers
        self._running = False
        self._failures = {}  # number of a recent failed call: its exception

    def __call__(self) -> None:
        if self._made_for != _made_for():
            self._start_anew()
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        with self._lock:
            needed = self._started + 1  # the next call to start
            on_its_way = self._started if self._running else None
            while self._served < needed:
                if on_its_way is not None and self._served >= on_its_way:
                    if on_its_way in self._failures:
                        needed = on_its_way  # it failed: so does this caller
                        break
                    on_its_way = None
                if not self._running:
                    self._run_call()  # raises what the call raised
                    continue
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise self.failure(
                        TimeoutError(
                            f"the shared call did not come back within "
                            f"{self.timeout:g} s"
                        )
                    )
                self._ended.wait(remaining)
            exc = self._failures.get(needed)
        if exc is not None:
            raise self.failure(exc) from exc

    def _run_call(self):
        """Run the next call, the lock released meanwhile; with it held
        again, note how the call ended and wake the callers it served."""
        self._running = True
        self._started += 1
        number = self._started
        self._lock.release()
        served, failure = False, None
        try:
            self.function()
            served = True
        except Exception as exc:
            served, failure = True, exc
            raise
        finally:
            self._lock.acquire()
            self._running = False
            if served:
                self._served = number
                if failure is not None:
                    self._failures[number] = failure
                    for old in list(self._failures):
                        if old <= number - self.KEPT_FAILURES:
                            del self._failures[old]
            self._ended.notify_all()
