"""ZEO clients on gevent's hub.

ZEO runs the networking of each client on an asyncio event loop in a
thread of its own. Under gevent that "thread" is a greenlet, and asyncio
allows one running loop per real thread, so the second client of a process
would fail. Here every ZEO client of a gevent hub shares one event loop,
run by one greenlet; callers wait on it cooperatively.
"""

import asyncio
import os
import selectors
from asyncio import events

import gevent
from ZEO.asyncio.client import ClientRunner
from ZEO.asyncio.futures import run_coroutine_threadsafe

from sheraf.zeo import DEFAULT_RESPONSE_TIMEOUT
from sheraf.zeo import BoundedWaits

_loops = {}


def hub_event_loop() -> asyncio.AbstractEventLoop:
    """The event loop of the ZEO clients of the current gevent hub, started
    in a greenlet the first time."""
    key = (os.getpid(), id(gevent.get_hub()))
    loop = _loops.get(key)
    if loop is None or loop.is_closed():
        selector = _SlotReleasingSelector()
        loop = _loops[key] = asyncio.SelectorEventLoop(selector)
        selector.loop = loop
        gevent.spawn_raw(loop.run_forever)
    return loop


class GreenClientRunner(BoundedWaits, ClientRunner):
    """ZEO's client networking on the hub's event loop, with bounded waits."""

    def __init__(
        self,
        addrs,
        client,
        cache,
        storage_key="1",
        read_only=False,
        timeout=30,
        disconnect_poll=1,
        response_timeout=DEFAULT_RESPONSE_TIMEOUT,
        **kwargs,
    ):
        self.response_timeout = response_timeout
        self.set_options(
            addrs,
            client,
            cache,
            storage_key,
            read_only,
            timeout,
            disconnect_poll,
            **kwargs,
        )
        loop = hub_event_loop()
        # Set up in the loop's greenlet, which also wakes the loop up.
        run_coroutine_threadsafe(
            self.apply_co(self.setup_delegation, loop), loop
        ).result()


class _SlotReleasingSelector(selectors.BaseSelector):
    """gevent's selector, leaving the thread's running-loop slot empty while
    it blocks, so that other code of the thread may run an asyncio loop."""

    loop = None

    def __init__(self):
        self._selector = selectors.DefaultSelector()

    def select(self, timeout=None):
        events._set_running_loop(None)
        try:
            return self._selector.select(timeout)
        finally:
            events._set_running_loop(self.loop)

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
