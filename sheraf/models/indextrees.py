"""How the BTrees of an index file records, key by key.

A unique index maps each key to one record; a multiple index maps each key
to an :class:`~BTrees.OOBTree.OOBTree` of the records filed under it, by
identifier. These functions are the only code that knows this layout; the
:mod:`index managers <sheraf.models.indexmanager>` call them.
"""

from BTrees.Length import Length
from BTrees.LOBTree import LOBTree
from BTrees.OOBTree import OOBTree

from sheraf.constants import MISSING
from sheraf.exceptions import UniqueIndexException

LENGTH_KEY = "__length__"
"""The key of a table's instance counter, beside its indexes."""


def tree_entry(tree, key, default=MISSING):
    """What ``tree`` holds under ``key``, or ``default``; also when the tree
    cannot hold such a key (a string in an integer BTree).

    >>> from BTrees.IOBTree import IOBTree
    >>> tree_entry(IOBTree({1: "one"}), 1), tree_entry(IOBTree(), "1", None)
    ('one', None)
    """
    try:
        return tree[key]
    except (KeyError, TypeError):
        return default


def length(root, primary_key):
    """The instance counter of the table ``root``; a table written by an
    older sheraf gets one on first use."""
    counter = root.data.get(LENGTH_KEY)
    if counter is None:
        primary = root.data.get(primary_key)
        counter = root[LENGTH_KEY] = Length(0 if primary is None else len(primary))
    return counter


def check_keys(tree, index, keys, record):
    """Raise, before anything is written, if ``index`` cannot file
    ``record`` under ``keys`` in ``tree``: :class:`TypeError` for a key the
    BTree cannot hold, :class:`~sheraf.exceptions.UniqueIndexException` for
    a key a unique index holds for another record."""
    for key in keys:
        try:
            if not _surely_holds(tree, key):
                type(tree)()[key] = record  # raises for a key it cannot hold
            # Raises too, for a key its keys cannot be compared with.
            found = tree.get(key, MISSING)
        except TypeError as exc:
            raise TypeError(
                f"The index {index.key!r} cannot hold the key {key!r}: {exc}"
            ) from exc
        if index.unique and found is not MISSING and found is not record:
            if index.primary:
                raise UniqueIndexException(
                    f"The identifier {key!r} is already used, in the primary "
                    f"index {index.key!r}"
                )
            raise UniqueIndexException(
                f"The key {key!r} is already present in the index {index.key!r}"
            )


def _surely_holds(tree, key):
    """Whether ``tree`` can hold ``key``, known without trying: strings and
    integers in an object-keyed BTree, 64-bit integers in an integer one."""
    kind = type(key)
    if isinstance(tree, OOBTree):
        return kind is str or kind is int
    return kind is int and isinstance(tree, LOBTree) and -(2**63) <= key < 2**63


def file_keys(tree, index, keys, record, identifier, identify):
    """File ``record``, whose primary key is ``identifier``, under ``keys``.
    ``identify`` gives the primary key of a record already filed (see
    :func:`rekey`).

    :return: whether no key filed ``record`` already; else the index was
        out of step with it, see :func:`read_as_current`.
    """
    in_step = True
    for key in keys:
        if index.unique:
            in_step &= _put(tree, key, record)
            continue
        bucket = tree_entry(tree, key)
        if bucket is MISSING:
            bucket = tree[key] = OOBTree()
        else:
            rekey(bucket, identifier, identify)
        in_step &= _put(bucket, identifier, record)
    return in_step


def _put(tree, key, value):
    """``tree[key] = value``; whether ``tree`` did not hold it already."""
    if tree.insert(key, value):
        return True
    if tree[key] is value:
        return False
    tree[key] = value
    return True


def unfile_keys(tree, index, keys, record, identifier, identify):
    """Remove ``record`` from under ``keys``; keys that do not hold it are
    left alone. ``identify`` is as for :func:`file_keys`.

    :return: whether every key held ``record``; else the index was out of
        step with it, see :func:`read_as_current`.
    """
    in_step = True
    for key in keys:
        entry = tree_entry(tree, key)
        if index.unique:
            if entry is record:
                del tree[key]
            else:
                in_step = False
            continue
        if entry is MISSING:
            in_step = False
            continue
        rekey(entry, identifier, identify)
        if entry.pop(identifier, None) is None:
            in_step = False
        elif not entry:
            del tree[key]
    return in_step


def read_as_current(root):
    """Make the current transaction conflict with any repair of the table
    ``root`` committed since it began (each repair :func:`touches <touch>`
    the root): what a write does when it found an index out of step with
    its instance, an entry to remove missing or one to add already there.

    A repair may be filing (or dropping) that very entry meanwhile, and a
    write that changes nothing conflicts with nothing: both would commit,
    and the entry stay, stale or an orphan (or stay missing). Read as
    current, the write runs again after the repair, on what it wrote.
    Guarding the entry's own BTree node would not do: the write may change
    that node too (filing another key), and then ZODB merges both changes.
    """
    jar = getattr(root, "_p_jar", None)
    if jar is not None and root._p_oid is not None:
        jar.readCurrent(root)


def touch(root):
    """Mark the table ``root`` changed, its content unchanged: what a repair
    of its indexes does, for the writes that read it as current (see
    :func:`read_as_current`). Two repairs that touch it at once merge."""
    root._p_changed = True


def rekey(bucket, identifier, identify):
    """File the records of the multiple index ``bucket`` by their primary
    key, ``identify(record)``, if it files them by another kind of key than
    ``identifier``: sheraf 0.6 filed them by the integer of their UUID,
    which one BTree cannot hold beside strings.

    >>> bucket = OOBTree({6: {"id": 6}})
    >>> rekey(bucket, "00000000-0000-0000-0000-000000000007", lambda r: f"#{r['id']}")
    >>> list(bucket)
    ['#6']
    """
    if not bucket or type(bucket.minKey()) is type(identifier):
        return
    records = list(bucket.values())
    bucket.clear()
    for record in records:
        bucket[identify(record)] = record


def descending_items(tree):
    """The items of a BTree from the last one, read node by node, where
    ``reversed(tree.items())`` would first count them, reading every
    bucket. It follows the pickled state of BTrees: ``None`` when empty,
    ``((bucket_state,),)`` for a single bucket kept inline, else
    ``((child, key, child, ..., child), first_bucket)``.

    >>> list(descending_items(OOBTree({"a": 1, "b": 2})))
    [('b', 2), ('a', 1)]
    """
    state = tree.__getstate__()
    if state is None:
        return
    if len(state) == 1:
        yield from _reversed_pairs(state[0][0][0])
        return
    for child in reversed(state[0][::2]):
        if isinstance(child, type(tree)):
            yield from descending_items(child)
        else:
            yield from _reversed_pairs(child.__getstate__()[0])


def _reversed_pairs(flat_items):
    for position in range(len(flat_items) - 2, -1, -2):
        yield flat_items[position], flat_items[position + 1]
