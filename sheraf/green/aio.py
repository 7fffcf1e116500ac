"""asyncio event loops that share one thread, each in its own greenlet.

ZEO runs each client's networking in an asyncio event loop on a thread of
its own. Once gevent has patched :mod:`threading`, that "thread" is a
greenlet of the calling thread, and asyncio allows only one *running* loop
per real thread: the second ZEO client of a process would fail with
"Cannot run the event loop while another loop is running".

A :class:`GreenletEventLoop` gives the thread's running-loop slot back
while it waits for I/O, which is the only time it lets other greenlets run,
and takes it again when it wakes up.
"""

import asyncio
import selectors
from asyncio import events


class GreenletEventLoop(asyncio.SelectorEventLoop):
    """A selector event loop that can wait beside other loops of its thread."""

    def __init__(self):
        super().__init__(selector=_SlotReleasingSelector(self))


class _SlotReleasingSelector(selectors.BaseSelector):
    """Delegates to the (gevent-patched) default selector, and leaves the
    thread's running-loop slot empty while it blocks."""

    def __init__(self, loop):
        self._loop = loop
        self._selector = selectors.DefaultSelector()

    def select(self, timeout=None):
        events._set_running_loop(None)
        try:
            return self._selector.select(timeout)
        finally:
            events._set_running_loop(self._loop)

    def register(self, fileobj, events, data=None):
        return self._selector.register(fileobj, events, data)

    def unregister(self, fileobj):
        return self._selector.unregister(fileobj)

    def modify(self, fileobj, events, data=None):
        return self._selector.modify(fileobj, events, data)

    def get_key(self, fileobj):
        return self._selector.get_key(fileobj)

    def get_map(self):
        return self._selector.get_map()

    def close(self):
        self._selector.close()
