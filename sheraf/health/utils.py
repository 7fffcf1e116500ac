"""Finding the models to check, from modules, dotted paths or classes."""

import importlib
import pkgutil
from typing import Any

from sheraf.models.indexation import IndexedModelMetaclass


class UnknownModelError(LookupError):
    """A name given to :func:`discover_models` is neither a module nor a
    model class of a module."""


def import_submodules(*args):
    """Import the modules and packages of ``args`` (names or modules), and
    every module of those packages, recursively.

    :return: the modules, by name.
    :raise UnknownModelError: for a name that cannot be imported.
    """
    modules = {}
    for package in args:
        if isinstance(package, str):
            package = _import_module(package)
        modules[package.__name__] = package
        for info in pkgutil.walk_packages(
            getattr(package, "__path__", ()), package.__name__ + "."
        ):
            modules[info.name] = _import_module(info.name)
    return modules


def discover_models(*args: Any) -> set[tuple[str, type]]:
    """The indexed models that ``args`` name: modules or packages (their
    models, and those of their submodules), dotted paths of model classes
    (``"saloon.models.Cowboy"``), or model classes.

    :return: a set of ``(dotted path, model class)`` pairs.
    :raise UnknownModelError: for a name that is neither a module nor a
        model class.

    >>> class Cowboy(sheraf.Model):
    ...     table = "discover_cowboys"
    ...
    >>> sorted(path for path, _ in discover_models(Cowboy))
    ['sheraf.health.utils.Cowboy']
    >>> discover_models("sheraf.health.utils.Nobody")
    Traceback (most recent call last):
        ...
    sheraf.health.utils.UnknownModelError: No module or model named 'sheraf.health.utils.Nobody'.
    """
    found = set()
    modules = []
    for arg in args:
        if isinstance(arg, str):
            arg = _module_or_model(arg)
        if isinstance(arg, IndexedModelMetaclass):
            found.add((f"{arg.__module__}.{arg.__name__}", arg))
        else:
            modules.append(arg)
    module_names = import_submodules(*modules)
    found.update(
        (path, model)
        for path, model in IndexedModelMetaclass.tables.values()
        if model.__module__ in module_names
    )
    return found


def _module_or_model(name):
    try:
        return _import_module(name)
    except UnknownModelError:
        module_name, _, class_name = name.rpartition(".")
        if not module_name:
            raise
    try:
        module = _import_module(module_name)
    except UnknownModelError:
        raise UnknownModelError(f"No module or model named {name!r}.") from None
    model = getattr(module, class_name, None)
    if model is None:
        raise UnknownModelError(f"No module or model named {name!r}.")
    if not isinstance(model, IndexedModelMetaclass):
        raise UnknownModelError(
            f"{class_name!r} is not a model of the module {module_name!r}."
        )
    return model


def _import_module(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name or name.startswith(f"{exc.name}."):
            raise UnknownModelError(f"No module or model named {name!r}.") from None
        raise UnknownModelError(f"Cannot import {name!r}: {exc}") from None
