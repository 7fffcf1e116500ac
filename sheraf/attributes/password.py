"""An attribute that keeps passwords hashed."""

import base64
import hashlib
import hmac
import os

import legacycrypt

from sheraf.attributes.base import Attribute

SCHEME = "scrypt"


class Password:
    """A stored password: it cannot be read back, but ``==`` tells whether
    a string is that password, in constant time. ``str()`` gives the stored
    hash.

    :param hashed: the stored hash.
    :param attribute: the :class:`PasswordAttribute` that checks it.
    :param model: the instance it was read from: a successful check of a
        hash that :meth:`PasswordAttribute.rehashes` stores a new hash there.
    """

    __slots__ = ("hashed", "attribute", "model")

    def __init__(self, hashed, attribute, model=None):
        self.hashed = hashed
        self.attribute = attribute
        self.model = model

    def __eq__(self, other):
        if isinstance(other, Password):
            return hmac.compare_digest(self.hashed, other.hashed)
        if not isinstance(other, str):
            return NotImplemented
        if not self.attribute.compare(other, self.hashed):
            return False
        if self.model is not None and self.attribute.rehashes(self.hashed):
            self.model.set_attribute(self.attribute.name, other)
            self.hashed = self.attribute.read_raw(self.model)
        return True

    __hash__ = None

    def __str__(self):
        return self.hashed

    def __repr__(self):
        return "<Password>"


class PasswordAttribute(Attribute):
    """Holds a password, stored as a salted scrypt hash (a random salt for
    each password): the plain text is never stored.

    :param n: the CPU and memory cost of scrypt, a power of two.
    :param r: the block size of scrypt.
    :param p: the parallelization of scrypt.
    :param method: the ``crypt`` method of sheraf 0.6, passed to
        :meth:`crypt` when given: scrypt hashing does not use it.
    :param rounds: the ``crypt`` rounds of sheraf 0.6, likewise.

    Only the parameters given are passed to :meth:`crypt`.

    >>> class Cowboy(sheraf.Model):
    ...     table = "password_cowboys"
    ...     password = sheraf.PasswordAttribute()
    ...
    >>> with sheraf.connection():
    ...     george = Cowboy.create(password="$up3r$3cur3")
    ...     george.password == "$up3r$3cur3", george.password == "guess"
    (True, False)
    >>> str(george.password)
    '$scrypt$n=16384,r=8,p=1$...'

    Hashes written by sheraf 0.6 (``crypt`` hashes, such as
    ``$6$...``) are checked too, and a successful check stores a scrypt
    hash in their place: the password is upgraded when its owner logs in,
    once the transaction commits.

    To hash another way, override :meth:`crypt` and :meth:`compare` in a
    subclass; a check then stores no new hash.
    """

    def __init__(self, n=None, r=None, p=None, method=None, rounds=None, **kwargs):
        given = {"n": n, "r": r, "p": p, "method": method, "rounds": rounds}
        self.crypt_args = {name: value for name, value in given.items() if value}
        super().__init__(**kwargs)

    @staticmethod
    def crypt(clear, n=2**14, r=8, p=1, **crypt_settings):
        """The stored form of the password ``clear``: a scrypt hash with a
        new random salt. ``crypt_settings`` (sheraf 0.6's ``method`` and
        ``rounds``) are for a ``crypt`` of your own."""
        salt = os.urandom(16)
        digest = _scrypt(clear, salt, n, r, p)
        return f"${SCHEME}$n={n},r={r},p={p}${_b64(salt)}${_b64(digest)}"

    @staticmethod
    def compare(clear, hashed):
        """Whether ``clear`` is the password ``hashed`` was made from, by
        :meth:`crypt` or by sheraf 0.6."""
        if not hashed.startswith(f"${SCHEME}$"):
            return hmac.compare_digest(legacycrypt.crypt(clear, hashed), hashed)
        _, _, settings, salt, digest = hashed.split("$")
        cost = {
            name: int(value)
            for name, value in (setting.split("=") for setting in settings.split(","))
        }
        expected = base64.b64decode(digest)
        return hmac.compare_digest(
            _scrypt(clear, base64.b64decode(salt), **cost), expected
        )

    def rehashes(self, hashed):
        """Whether a successful check of ``hashed`` stores a new hash: when
        it is not a scrypt hash, unless :meth:`crypt` or :meth:`compare` is
        your own."""
        cls = type(self)
        return (
            cls.crypt is PasswordAttribute.crypt
            and cls.compare is PasswordAttribute.compare
            and not hashed.startswith(f"${SCHEME}$")
        )

    def serialize(self, value):
        if value is None:
            return None
        if isinstance(value, Password):
            return value.hashed
        if not isinstance(value, str):
            raise TypeError(f"a string is needed, not {type(value).__name__}")
        return self.crypt(value, **self.crypt_args)

    def read(self, model):
        raw = self.read_raw(model)
        return None if raw is None else Password(raw, self, model)

    def deserialize(self, raw):
        if raw is None:
            return None
        return Password(raw, self)


def _scrypt(clear, salt, n, r, p):
    return hashlib.scrypt(
        clear.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20
    )


def _b64(data):
    return base64.b64encode(data).decode("ascii")
