import pytest

import sheraf
from sheraf.attributes.password import Password


class Cowboy(sheraf.Model):
    table = "password_test_cowboys"
    password = sheraf.PasswordAttribute(n=2**12)


def test_a_password_compares_without_being_stored_in_plain_text(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(password="$up3r$3cur3")
    with sheraf.connection():
        george = Cowboy.read(george.id)
        assert george.password == "$up3r$3cur3"
        assert george.password != "$up3r$3cur"
        assert not george.password == b"$up3r$3cur3"
        stored = george.mapping["password"]
        assert "$up3r$3cur3" not in stored and stored.startswith(
            "$scrypt$n=4096,r=8,p=1$"
        )
        assert str(george.password) == stored and repr(george.password) == "<Password>"


def test_each_password_gets_its_own_salt(db):
    with sheraf.connection():
        george, peter = Cowboy.create(password="same"), Cowboy.create(password="same")
        assert str(george.password) != str(peter.password)
        assert george.password == "same" == peter.password


def test_a_copy_keeps_the_hash(db):
    with sheraf.connection():
        george = Cowboy.create(password="secret")
        copy = george.copy()
        assert copy.password == "secret" and str(copy.password) == str(george.password)
        assert copy.password == george.password


def test_no_password_and_bad_values(db):
    with sheraf.connection():
        assert Cowboy.create().password is None
        with pytest.raises(
            TypeError, match=r"Cowboy.password \(PasswordAttribute\) cannot hold 1234"
        ):
            Cowboy.create(password=1234)
        with pytest.raises(TypeError):
            hash(Cowboy.create(password="x").password)


def test_a_crypt_hash_of_sheraf_0_6_needs_legacycrypt():
    legacy = Password("$6$saltsalt$hashhashhash")
    try:
        import legacycrypt  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match="install the 'legacycrypt' package"):
            legacy == "secret"
    else:  # pragma: no cover - depends on the environment
        assert not legacy == "secret"
