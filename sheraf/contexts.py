"""Which execution context owns a connection.

Every connection context belongs to the thread, greenlet or
:mod:`contextvars` context that opened it. A *provider* answers one
question, "which execution context is running now?", by returning an
*owner*: an object that lives exactly as long as that execution context
(a greenlet, a :class:`threading.Thread`, a token in a context variable).

The open connections of each owner are kept in a :class:`ContextStack`.
When an owner is garbage collected with connections still open, sheraf
says so with a :class:`~sheraf.exceptions.ConnectionLeftOpenWarning`,
aborts their transactions and gives them back to their pool.

>>> from sheraf.contexts import ThreadProvider
>>> previous = sheraf.get_context_provider()
>>> sheraf.set_context_provider(ThreadProvider())
>>> sheraf.get_context_provider()
<ThreadProvider>
>>> sheraf.set_context_provider(previous)
"""

import contextvars
import sys
import threading
import warnings
import weakref

import greenlet

from sheraf.exceptions import ConnectionLeftOpenWarning


class ContextProvider:
    """Names the execution context the calling code runs in.

    Subclasses implement :meth:`owner`, which must return the same object
    for as long as the execution context lives, and an object that can be
    weakly referenced; ``noun`` names what owners are.
    """

    noun = "execution context"

    def owner(self):
        raise NotImplementedError

    def describe(self, owner):
        """A short human description of ``owner`` for error messages."""
        return repr(owner)

    def __repr__(self):
        return f"<{self.__class__.__name__}>"


class GreenletProvider(ContextProvider):
    """One context per greenlet: the default.

    Each thread runs its own main greenlet, so this also separates threads,
    whether or not gevent has patched the :mod:`threading` module.
    """

    owner = staticmethod(greenlet.getcurrent)
    noun = "greenlet"

    def describe(self, owner):
        kind = "main greenlet" if owner.parent is None else "greenlet"
        return f"{kind} {owner!r}"


class ThreadProvider(ContextProvider):
    """One context per thread, as the :mod:`threading` module sees threads.

    Greenlets of one thread share their connection contexts: use it only
    with code that never switches greenlets inside a connection context.
    """

    owner = staticmethod(threading.current_thread)
    noun = "thread"

    def describe(self, owner):
        return f"thread {owner.name!r}"


class _ContextToken:
    __slots__ = ("__weakref__",)


class ContextVarProvider(ContextProvider):
    """One context per :class:`contextvars.Context`.

    New threads and greenlets start with an empty context. Note that
    :mod:`asyncio` tasks start with a *copy* of their creator's context,
    so a task created inside a connection context shares it.
    """

    noun = "context"

    def __init__(self):
        self._token = contextvars.ContextVar("sheraf_context_token")

    def owner(self):
        try:
            return self._token.get()
        except LookupError:
            token = _ContextToken()
            self._token.set(token)
            return token

    def describe(self, owner):
        return f"context {owner!r}"


class ContextStack(list):
    """The connections an execution context has open, innermost last."""

    __slots__ = ("key", "provider", "_watch")

    @property
    def owner_description(self):
        owner = self._watch()
        if owner is None:
            return f"ended {self.provider.noun}"
        return self.provider.describe(owner)


_provider = GreenletProvider()
_stacks = {}


def set_context_provider(provider):
    """Choose how sheraf tells execution contexts apart.

    It cannot change while connections are open, since they would lose
    their owners.
    """
    global _provider
    if not isinstance(provider, ContextProvider):
        raise TypeError(
            f"set_context_provider() needs a sheraf.contexts.ContextProvider, "
            f"not {provider!r}"
        )
    if _stacks:
        raise RuntimeError(
            f"Cannot change the context provider while {len(_stacks)} "
            "execution context(s) have connections open."
        )
    _provider = provider


def get_context_provider():
    """The provider in use, a :class:`GreenletProvider` unless changed."""
    return _provider


def current_stack():
    """The open connections of the running execution context, or ``None``."""
    return _stacks.get(id(_provider.owner()))


def enter_stack():
    """The stack of the running execution context, created when needed."""
    owner = _provider.owner()
    key = id(owner)
    stack = _stacks.get(key)
    if stack is None:
        stack = _stacks[key] = ContextStack()
        stack.key = key
        stack.provider = _provider
        stack._watch = weakref.ref(owner, _owner_ended_callback(key))
    return stack


def leave_stack(stack):
    """Forget ``stack`` once its last connection is closed."""
    if not stack:
        _stacks.pop(stack.key, None)


def threads_are_greenlets():
    """Whether gevent has patched :mod:`threading`, making threads greenlets
    and their locks cooperative."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


def other_open_contexts():
    """How many other execution contexts have connections open."""
    return len(_stacks) - (current_stack() is not None)


def _owner_ended_callback(key):
    def owner_ended(_ref):
        stack = _stacks.pop(key, None)
        if not stack:
            return
        for entry in reversed(stack):
            warnings.warn(
                f"{entry.describe()} was left open when its "
                f"{stack.provider.noun} ended; sheraf aborted its "
                "transaction and closed it.",
                ConnectionLeftOpenWarning,
                stacklevel=1,
            )
        if threads_are_greenlets():
            # This runs where the owner was freed, gevent's hub perhaps,
            # which must not wait: close the connections in a greenlet.
            import gevent

            gevent.spawn(_discard_all, stack)
        else:
            _discard_all(stack)

    return owner_ended


def _discard_all(stack):
    for entry in reversed(list(stack)):
        entry.discard()
