"""What an index holds: which attributes, and the keys it files a model
instance under."""

from BTrees.OOBTree import OOBTree

from sheraf.callbacks import required_arguments
from sheraf.constants import MISSING

_KEY_COLLECTIONS = (set, frozenset, list, tuple, dict)


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
    :param key: the index name; the name of the model attribute that holds
        the index (or of the indexed attribute) by default.
    :param index_keys_func: a function of an attribute value that returns
        the key, or a collection of keys, to file the instance under; it may
        take the model instance first. The attribute's own
        :meth:`~sheraf.attributes.base.Attribute.index_keys` by default.
        ``values`` is another name for it.
    :param search_keys_func: a function of a searched value that returns the
        key(s) to look up, in the order results should come. By default
        ``index_keys_func``, or the attributes' own
        :meth:`~sheraf.attributes.base.Attribute.search_keys`. ``search`` is
        another name for it.
    :param mapping: the BTree class that stores the index.
    :param primary: the index that identifies instances (``id``).
    :param nullok: index empty keys (``""``, ``0``...). ``True`` by default.
    :param noneok: index the ``None`` key. ``False`` by default.
    :param auto: keep the index up to date when attributes change; an index
        that is not is only built by
        :meth:`~sheraf.models.indexation.BaseIndexedModel.index_table_rebuild`,
        and queries do not use it.

    >>> class Cowboy(sheraf.Model):
    ...     table = "index_doc_cowboys"
    ...     first_name = sheraf.StringAttribute()
    ...     last_name = sheraf.StringAttribute()
    ...     names = sheraf.Index("first_name", "last_name", index_keys_func=str.lower)
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create(first_name="George", last_name="Abitbol")
    ...     Cowboy.search(names="ABITBOL").get() == george
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
        self.mapping = mapping or self.default_mapping
        self.nullok = True if nullok is None else nullok
        self.noneok = False if noneok is None else noneok
        self.auto = auto
        self._default_func = _KeysFunction.of(index_keys_func or values, 1)
        self._search_func = _KeysFunction.of(search_keys_func or search, 1)
        self._grouped_funcs = []
        # Declared in a model class, rather than by Attribute.index(): set
        # by the model's metaclass.
        self.in_model_body = False

    def __repr__(self):
        flags = " primary" if self.primary else ""
        return f"<Index key={self.key} unique={self.unique}{flags}>"

    # Declaration.

    def index_keys_func(self, *attributes):
        """Decorate the function that computes the index keys.

        Without arguments, it is called with the value of each attribute of
        the index in turn. Given attributes (or their names), it is called
        once with their values, in that order, and the other attributes keep
        the default function. It may take the model instance first.

        >>> class Cowboy(sheraf.Model):
        ...     table = "index_keys_func_cowboys"
        ...     first_name = sheraf.StringAttribute()
        ...     last_name = sheraf.StringAttribute()
        ...     nickname = sheraf.StringAttribute()
        ...     names = sheraf.Index(first_name, last_name, nickname)
        ...
        ...     @names.index_keys_func
        ...     def lowercase(self, value):
        ...         return value.lower()
        ...
        ...     @names.index_keys_func(first_name, "last_name")
        ...     def full_name(self, first, last):
        ...         return f"{first} {last}".lower()
        ...
        >>> with sheraf.connection():
        ...     george = Cowboy.create(
        ...         first_name="George", last_name="Abitbol", nickname="Georgy"
        ...     )
        ...     sorted(george.index_keys("names"))
        ['george abitbol', 'georgy']
        """
        if len(attributes) == 1 and callable(attributes[0]):
            return self.index_keys_func()(attributes[0])

        def decorate(func):
            if attributes:
                group = list(attributes)
                self._grouped_funcs.append((group, _KeysFunction(func, len(group))))
            else:
                self._default_func = _KeysFunction(func, 1)
            return func

        return decorate

    def search_keys_func(self, *args):
        """Decorate the function that computes the keys to look up for a
        searched value; it may take the model class first."""

        def decorate(func):
            self._search_func = _KeysFunction(func, 1)
            return func

        return decorate(args[0]) if args else decorate

    def resolve(self, attributes_by_name):
        """Replace attribute names by the attributes of the model."""
        if not self.attributes:
            raise AttributeError(f"Index {self.key!r} indexes no attribute.")
        self.attributes = [
            self._resolve(a, attributes_by_name) for a in self.attributes
        ]
        self._grouped_funcs = [
            ([self._resolve(a, attributes_by_name) for a in group], func)
            for group, func in self._grouped_funcs
        ]

    def _resolve(self, attribute, attributes_by_name):
        if not isinstance(attribute, str):
            return attribute
        try:
            return attributes_by_name[attribute]
        except KeyError:
            raise AttributeError(
                f"Index {self.key!r} names {attribute!r}, which is not an "
                "attribute of the model."
            ) from None

    @property
    def is_plain(self):
        """Whether the index files each instance under its attribute's own
        keys: one attribute, no function of its own."""
        return (
            len(self.attributes) == 1
            and self._default_func is None
            and not self._grouped_funcs
        )

    # Keys.

    def keeps(self, key):
        """Whether the index files instances under ``key``, according to
        ``noneok`` and ``nullok``."""
        if key is None:
            return self.noneok
        return self.nullok or bool(key)

    def _ungrouped_attributes(self):
        """The attributes whose keys no grouped function computes."""
        if not self._grouped_funcs:
            return self.attributes
        grouped = [attribute for group, _ in self._grouped_funcs for attribute in group]
        return [attribute for attribute in self.attributes if attribute not in grouped]

    def index_keys(self, model):
        """The keys ``model`` is filed under."""
        keys = set()
        for attribute in self._ungrouped_attributes():
            value = attribute.read_stored(model)
            if value is MISSING:
                continue
            if self._default_func is None:
                keys.update(as_keys(attribute.index_keys(value)))
            else:
                keys.update(self._default_func(model, value))
        for group, func in self._grouped_funcs:
            if all(attribute.is_created(model) for attribute in group):
                keys.update(
                    func(model, *(attribute.read(model) for attribute in group))
                )
        return {key for key in keys if self.keeps(key)}

    def search_keys(self, model_class, value):
        """The keys to look up to find instances by ``value``, without
        repetition, in the order results should come."""
        func = self._search_func or self._default_func
        if func is not None:
            keys = func(model_class, value)
        else:
            keys = [
                key
                for attribute in self._ungrouped_attributes()
                for key in _attribute_search_keys(attribute, value)
            ]
            if self._grouped_funcs:
                # A function over several attributes files keys of its own
                # making: the value is looked up as it is, as in sheraf 0.6.
                keys.append(value)
        return list(dict.fromkeys(keys))


def as_keys(result):
    """The keys a function of the index returned: a collection of keys, or
    a single key."""
    return result if isinstance(result, _KEY_COLLECTIONS) else (result,)


def _attribute_search_keys(attribute, value):
    """The search keys of ``value`` by ``attribute``; none if the attribute
    cannot convert it, so that the other attributes of the index still
    find it."""
    try:
        return as_keys(attribute.search_keys(value))
    except (TypeError, ValueError):
        return ()


def search_keys_of(index, model_class, value):
    """The search keys of ``value`` in ``index``; none for a value the
    index cannot convert (a word where it expects a number, for
    instance)."""
    try:
        return index.search_keys(model_class, value)
    except (TypeError, ValueError):
        return []


class _KeysFunction:
    """A user function that computes keys from attribute values, called with
    the model (or model class) first when it wants it."""

    __slots__ = ("func", "wants_model")

    def __init__(self, func, values_count):
        self.func = func
        self.wants_model = required_arguments(func) > values_count

    @classmethod
    def of(cls, func, values_count):
        return None if func is None else cls(func, values_count)

    def __call__(self, model, *values):
        return as_keys(
            self.func(model, *values) if self.wants_model else self.func(*values)
        )
