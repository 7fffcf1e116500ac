"""A gate that lets a bounded number of threads or greenlets through.

Databases use two: one bounds the connections open at once (``pool_size``),
the other lets one conflicting transaction at a time try again, so that
retries do not keep colliding with each other.

>>> gate = Gate(1)
>>> ticket = gate.enter(timeout=1)
>>> gate.leave(ticket)
"""

import threading


class Gate:
    """At most ``size`` holders at once; the others wait for a place.

    Waiting is cooperative under gevent. A caller that already holds a place
    does not wait for one, and neither does, without gevent, a greenlet of a
    thread whose other greenlets hold places: they could not run again to
    leave. Such a caller goes through without holding the gate.
    """

    def __init__(self, size):
        self.size = size
        self._free = size
        self._waiting = 0
        self._holders = {}
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)

    def enter(self, timeout):
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

    def leave(self, ticket):
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
