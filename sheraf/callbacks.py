"""The functions users give sheraf to call: creation, edition and deletion
callbacks, and functions that may or may not take the model first."""

import inspect
import types


def register(callbacks, args):
    """Decorate a function by appending it to ``callbacks``; used as
    ``@on_creation`` (``args`` holds the function) or ``@on_creation()``
    (``args`` is empty).

    >>> callbacks = []
    >>> @register(callbacks, ())
    ... def welcome(instance):
    ...     pass
    >>> callbacks == [welcome]
    True
    """

    def wrapper(func):
        callbacks.append(func)
        return func

    return wrapper(args[0]) if args else wrapper


def call_callbacks(callbacks, *args, **kwargs):
    """Call each callback; return the generators of those that yielded,
    whose rest :func:`finish_callbacks` runs."""
    afters = []
    for callback in callbacks:
        result = callback(*args, **kwargs)
        if isinstance(result, types.GeneratorType):
            try:
                next(result)
            except StopIteration:
                continue
            afters.append(result)
    return afters


def finish_callbacks(afters):
    """Run what the callbacks :func:`call_callbacks` returned left to do
    after their ``yield``."""
    for generator in afters:
        for _ in generator:
            pass


def required_arguments(func):
    """How many positional arguments ``func`` needs; 0 when Python cannot
    tell (a builtin, for instance).

    >>> required_arguments(lambda model, value, default=None: value)
    2
    """
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return 0
    return sum(
        1
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.default is p.empty
    )
