"""Whether sheraf runs cooperatively under gevent, and what follows from it.

Every "cooperative or not" question sheraf asks is answered here, and only
here, the way gevent's own ``gevent.monkey`` keeps its state: by looking at
what gevent has patched, never by importing gevent to find out. A process
that does not use gevent never loads it; no other module of sheraf outside
:mod:`sheraf.green` imports it.

>>> from sheraf import cooperation
>>> cooperation.threads_are_greenlets()
False
>>> cooperation.sleep(0)
>>> cooperation.zeo_client_runner().__name__
'ThreadedClientRunner'
"""

import sys
import threading
import time
from collections.abc import Callable

import greenlet


def threads_are_greenlets() -> bool:
    """Whether gevent has patched :mod:`threading`: threads are then
    greenlets of gevent's hub, and their locks are cooperative."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


def lock_factory() -> Callable:
    """What :mod:`threading` makes locks with now. gevent's patching
    changes it: an object made with a kept one that differs from it was made
    before the patching, and its locks would block every greenlet."""
    return threading.Lock


def sleep(seconds: float) -> None:
    """Wait ``seconds``: :func:`gevent.sleep` in a gevent greenlet (which
    lets the other greenlets run, even when gevent has not patched
    :mod:`time`), :func:`time.sleep` elsewhere."""
    gevent = sys.modules.get("gevent")
    if gevent is not None and isinstance(greenlet.getcurrent(), gevent.Greenlet):
        gevent.sleep(seconds)
    else:
        time.sleep(seconds)


def run_detached(function: Callable, *args) -> None:
    """Run ``function(*args)``: now, or, once gevent has patched
    :mod:`threading`, soon in a greenlet of its own. Code that runs where
    an object was freed (gevent's hub, perhaps, which must never wait)
    hands its work over this way."""
    if threads_are_greenlets():
        import gevent

        gevent.spawn(function, *args)
    else:
        function(*args)


def zeo_client_runner() -> type:
    """The class that runs a new ZEO client's networking: on an event loop
    in a greenlet of gevent's hub once gevent has patched :mod:`threading`
    (:class:`sheraf.green.zeo.GreenClientRunner`), on a thread of its own
    otherwise (:class:`sheraf.zeo.ThreadedClientRunner`)."""
    if threads_are_greenlets():
        from sheraf.green.zeo import GreenClientRunner

        return GreenClientRunner
    from sheraf.zeo import ThreadedClientRunner

    return ThreadedClientRunner
