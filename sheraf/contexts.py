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

The innermost connection context of the running execution context is
:func:`current_context`:

>>> from sheraf.contexts import current_context
>>> current_context() is None
True
>>> with sheraf.connection() as connection:
...     current_context().connection is connection
True
>>> current_context(needed_by="The saloon")
Traceback (most recent call last):
    ...
sheraf.exceptions.NotConnectedException: The saloon needs an open connection, and the current main greenlet ... has none. ...
"""

import contextvars
import threading
import warnings
import weakref
from typing import Any

import greenlet

from sheraf import cooperation
from sheraf.exceptions import ConnectionLeftOpenWarning
from sheraf.exceptions import NotConnectedException


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
    """The connection contexts an execution context has open, innermost
    last. It is known to :func:`current_stack` from its first
    :meth:`push` until its last :meth:`remove`."""

    __slots__ = ("_key", "provider", "_watch")

    def __init__(self, provider, owner):
        self._key = id(owner)
        self.provider = provider
        self._watch = weakref.ref(owner, _owner_ended_callback(self._key))

    def push(self, context: Any) -> None:
        """Add ``context``, the innermost one now."""
        if not self:
            _stacks[self._key] = self
        self.append(context)

    def remove(self, context: Any) -> None:
        """Take ``context`` off, wherever it is, if it is there."""
        try:
            super().remove(context)
        except ValueError:
            return
        if not self and _stacks.get(self._key) is self:
            del _stacks[self._key]

    @property
    def owner_description(self):
        owner = self._watch()
        if owner is None:
            return f"ended {self.provider.noun}"
        return self.provider.describe(owner)


_provider = GreenletProvider()
#: The provider's ``owner`` method, looked up once: every read of a model
#: instance calls it.
_owner = _provider.owner
#: The stacks that hold connection contexts, by ``id()`` of their owner.
_stacks = {}


def set_context_provider(provider: ContextProvider) -> None:
    """Choose how sheraf tells execution contexts apart.

    It cannot change while connections are open, since they would lose
    their owners.
    """
    global _provider, _owner
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
    _owner = provider.owner


def get_context_provider() -> ContextProvider:
    """The provider in use, a :class:`GreenletProvider` unless changed."""
    return _provider


def current_stack() -> "ContextStack | None":
    """The open connection contexts of the running execution context, or
    ``None`` without any."""
    return _stacks.get(id(_owner()))


def stack_here() -> ContextStack:
    """The stack of the running execution context: its open one, or a new
    empty one, known once something is pushed on it."""
    owner = _owner()
    stack = _stacks.get(id(owner))
    if stack is None:
        stack = ContextStack(_provider, owner)
    return stack


def current_context(needed_by: str | None = None) -> Any:
    """The innermost connection context of the running execution context.

    Without one: ``None``, or, when ``needed_by`` names what needs one, a
    :class:`~sheraf.exceptions.NotConnectedException` that says why there
    is none.
    """
    stack = _stacks.get(id(_owner()))
    if stack:
        return stack[-1]
    if needed_by is None:
        return None
    raise NotConnectedException(_not_connected_message(needed_by))


def _not_connected_message(needed_by):
    here = _provider.describe(_owner())
    message = (
        f"{needed_by} needs an open connection, and the current {here} has "
        "none. Connection contexts belong to the thread or greenlet that "
        "opened them: one started inside a `with sheraf.connection():` block "
        "does not share it, and must open its own."
    )
    others = len(_stacks)
    if others:
        message += f" ({others} other thread(s) or greenlet(s) have one open.)"
    return message


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
        # This runs where the owner was freed, gevent's hub perhaps, which
        # must not wait.
        cooperation.run_detached(_discard_all, stack)

    return owner_ended


def _discard_all(stack):
    for entry in reversed(list(stack)):
        entry.discard()
