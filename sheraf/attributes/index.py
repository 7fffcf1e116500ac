"""What an index holds: which attributes, and the keys it files a model
instance under."""

import inspect

from BTrees.OOBTree import OOBTree


class Index:
    """Files model instances by keys computed from attributes, so that
    :meth:`~sheraf.queryset.QuerySet.filter` and
    :meth:`~sheraf.queryset.QuerySet.search` find them without scanning the
    table.

    Declare it with :meth:`~sheraf.attributes.base.Attribute.index`, or as a
    model class attribute over one or several attributes.

    :param attributes: the attributes (or their names) whose values are
        indexed.
    :param unique: at most one instance per key; a second one raises
        :class:`~sheraf.exceptions.UniqueIndexException`. Implied by
        ``primary``.
    :param key: the index name; the model attribute name by default.
    :param index_keys_func: a function of the attribute value(s) that returns
        the key, or a collection of keys, to file the instance under. The
        attribute's own ``index_keys`` by default.
    :param search_keys_func: a function of a searched value that returns the
        key(s) to look up. ``index_keys_func`` by default.
    :param mapping: the BTree class that stores the index.
    :param primary: the index that identifies instances (``id``).
    :param nullok: index empty values ("", 0...). ``True`` by default.
    :param noneok: index ``None`` (when ``nullok``). ``False`` by default.
    :param auto: keep the index up to date when attributes change.

    >>> class Cowboy(sheraf.Model):
    ...     table = "index_doc_cowboys"
    ...     first_name = sheraf.StringAttribute()
    ...     last_name = sheraf.StringAttribute()
    ...     names = sheraf.Index("first_name", "last_name", index_keys_func=str.lower)
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create(first_name="George", last_name="Abitbol")
    ...     Cowboy.search(names="abitbol").get() == george
    True
    """

    default_mapping = OOBTree

    def __init__(
        self,
        *attributes,
        unique=False,
        key=None,
        index_keys_func=None,
        search_keys_func=None,
        values=None,
        search=None,
        mapping=None,
        primary=False,
        nullok=None,
        noneok=None,
        auto=True,
    ):
        self.attributes = list(attributes)
        self.unique = unique or primary
        self.primary = primary
        self.key = key
        self.default_index_keys_func = index_keys_func or values
        self._search_keys_func = search_keys_func or search or self.default_index_keys_func
        self.grouped_index_keys_funcs = []
        self.mapping = mapping or self.default_mapping
        self.nullok = True if nullok is None else nullok
        self.noneok = False if noneok is None else noneok
        self.auto = auto

    def __repr__(self):
        flags = " primary" if self.primary else ""
        return f"<Index key={self.key} unique={self.unique}{flags}>"

    def index_keys_func(self, *args):
        """Decorate the function that computes index keys: for every
        attribute of the index, or, given attributes (or names), for those
        together, the function then taking their values in that order.
        The function may take the model instance first."""
        if len(args) == 1 and callable(args[0]) and not _is_attribute_ref(args[0]):
            self.default_index_keys_func = args[0]
            if self._search_keys_func is None:
                self._search_keys_func = args[0]
            return args[0]

        def wrapper(func):
            self.grouped_index_keys_funcs.append((list(args), func))
            return func

        return wrapper

    def search_keys_func(self, func):
        """Decorate the function that computes the keys to look up for a
        searched value."""
        self._search_keys_func = func
        return func

    def resolve(self, attributes_by_name):
        """Replace attribute names by the attributes of the model."""
        self.attributes = [_resolve(a, attributes_by_name, self) for a in self.attributes]
        self.grouped_index_keys_funcs = [
            ([_resolve(a, attributes_by_name, self) for a in group], func)
            for group, func in self.grouped_index_keys_funcs
        ]

    def index_keys(self, model):
        """The keys ``model`` is filed under."""
        grouped = {a for group, _ in self.grouped_index_keys_funcs for a in group}
        keys = set()
        for attribute in self.attributes:
            if attribute in grouped or not attribute.is_created(model):
                continue
            value = attribute.read(model)
            func = self.default_index_keys_func
            keys |= _as_keys(_call(func, model, value) if func else attribute.index_keys(value))
        for group, func in self.grouped_index_keys_funcs:
            if all(attribute.is_created(model) for attribute in group):
                values = [attribute.read(model) for attribute in group]
                keys |= _as_keys(_call(func, model, *values))
        return self._keep_indexable(keys)

    def search_keys(self, model_class, value):
        """The keys to look up to find instances whose value is ``value``."""
        if self._search_keys_func is not None:
            return _as_keys(_call(self._search_keys_func, model_class, value))
        return set().union(*(a.search_keys(value) for a in self.attributes))

    def _keep_indexable(self, keys):
        if not self.nullok:
            return {key for key in keys if key}
        if not self.noneok:
            return {key for key in keys if key is not None}
        return keys


def _is_attribute_ref(candidate):
    from sheraf.attributes.base import Attribute

    return isinstance(candidate, Attribute)


def _resolve(attribute, attributes_by_name, index):
    if not isinstance(attribute, str):
        return attribute
    try:
        return attributes_by_name[attribute]
    except KeyError:
        raise AttributeError(
            f"Index {index.key!r} names {attribute!r}, which is not an attribute "
            "of the model."
        ) from None


def _call(func, model, *values):
    """Call ``func`` with the values, and the model first if it wants it."""
    if _required_arguments(func) > len(values):
        return func(model, *values)
    return func(*values)


_REQUIRED_ARGUMENTS = {}


def _required_arguments(func):
    try:
        return _REQUIRED_ARGUMENTS[func]
    except KeyError:
        pass
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        count = 0
    else:
        count = sum(
            1
            for p in parameters
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        )
    _REQUIRED_ARGUMENTS[func] = count
    return count


def _as_keys(result):
    if isinstance(result, (set, frozenset, list, tuple, dict)):
        return set(result)
    return {result}
