"""An attribute that keeps passwords hashed."""

import base64
import hashlib
import hmac
import os

from sheraf.attributes.base import Attribute

SCHEME = "scrypt"


class Password:
    """A stored password: it cannot be read back, but ``==`` tells whether
    a string is that password, in constant time. ``str()`` gives the stored
    hash."""

    __slots__ = ("hashed",)

    def __init__(self, hashed):
        self.hashed = hashed

    def __eq__(self, other):
        if isinstance(other, Password):
            return hmac.compare_digest(self.hashed, other.hashed)
        if isinstance(other, str):
            return verify(other, self.hashed)
        return NotImplemented

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

    Hashes written by sheraf 0.6 (``crypt`` hashes) are checked with the
    ``legacycrypt`` package, when it is installed.
    """

    def __init__(self, n=2**14, r=8, p=1, **kwargs):
        self.cost = {"n": n, "r": r, "p": p}
        super().__init__(**kwargs)

    def serialize(self, value):
        if value is None:
            return None
        if isinstance(value, Password):
            return value.hashed
        if not isinstance(value, str):
            raise TypeError(f"a string is needed, not {type(value).__name__}")
        return hash_password(value, **self.cost)

    def deserialize(self, raw):
        if raw is None:
            return None
        return Password(raw)


def hash_password(clear, n, r, p):
    """The stored form of the password ``clear``, with a new random salt."""
    salt = os.urandom(16)
    digest = _scrypt(clear, salt, n, r, p)
    return f"${SCHEME}$n={n},r={r},p={p}${_b64(salt)}${_b64(digest)}"


def verify(clear, hashed):
    """Whether ``clear`` is the password ``hashed`` was made from."""
    if not hashed.startswith(f"${SCHEME}$"):
        return _verify_crypt(clear, hashed)
    _, _, settings, salt, digest = hashed.split("$")
    cost = {
        name: int(value) for name, value in (s.split("=") for s in settings.split(","))
    }
    expected = base64.b64decode(digest)
    return hmac.compare_digest(_scrypt(clear, base64.b64decode(salt), **cost), expected)


def _scrypt(clear, salt, n, r, p):
    return hashlib.scrypt(
        clear.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20
    )


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _verify_crypt(clear, hashed):
    try:
        import legacycrypt
    except ImportError:
        raise ValueError(
            "This password was hashed by sheraf 0.6 with crypt: install the "
            "'legacycrypt' package to check it."
        ) from None
    return hmac.compare_digest(legacycrypt.crypt(clear, hashed), hashed)
