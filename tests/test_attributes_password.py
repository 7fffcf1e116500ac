import hashlib

import pytest

import sheraf


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


# Made by sheraf 0.6.0's PasswordAttribute (legacycrypt) from "s3cret": its
# default method (SHA-512), METHOD_MD5, METHOD_SHA256 with rounds=10000 and
# METHOD_CRYPT.
SHERAF_0_6_HASHES = [
    "$6$9ISy4CGLuo8LLOW2$po/aydv2pJs.DVMPduPS.rmPAvpCUcv9m/nHZih46AZLY.AaiBv39EIB0XX0Pirb39bUxMsmyUoXxSpFdUlbh/",
    "$1$D8Fi5bPp$m3ypOA.44FqBRBntVgdOB1",
    "$5$rounds=10000$7wm4OzGjTE3xS8RT$7AGTOyiXovWw.aqpWnTN/udX230AW7YOpNXvOZdG/uC",
    "jnRP2.rg3IFbI",
]


@pytest.fixture
def file_db(tmp_path):
    database = sheraf.Database(f"file://{tmp_path}/Data.fs")
    yield database
    database.close()


def cowboys_with_0_6_hashes():
    """Cowboys whose records hold hashes of sheraf 0.6, as it wrote them."""
    with sheraf.connection(commit=True):
        cowboys = [Cowboy.create() for _ in SHERAF_0_6_HASHES]
        for cowboy, hashed in zip(cowboys, SHERAF_0_6_HASHES, strict=True):
            cowboy.mapping["password"] = hashed
    return [cowboy.id for cowboy in cowboys]


def stored_hashes(ids):
    with sheraf.connection():
        return [Cowboy.read(id).mapping["password"] for id in ids]


@pytest.mark.parametrize("hashed", SHERAF_0_6_HASHES)
def test_a_hash_of_sheraf_0_6_verifies(hashed):
    password = Cowboy.password.deserialize(hashed)
    assert password == "s3cret" and not password == "s3cre" and password != "S3cret"


def test_a_successful_check_upgrades_a_0_6_hash_to_scrypt(file_db):
    ids = cowboys_with_0_6_hashes()
    with sheraf.connection(commit=True):
        for id in ids:
            assert not Cowboy.read(id).password == "wrong"
    assert stored_hashes(ids) == SHERAF_0_6_HASHES
    with sheraf.connection(commit=True):
        for id in ids:
            password = Cowboy.read(id).password
            assert password == "s3cret"
            assert str(password).startswith("$scrypt$n=4096,r=8,p=1$")
    upgraded = stored_hashes(ids)
    assert all(hashed.startswith("$scrypt$") for hashed in upgraded)
    assert len(set(upgraded)) == len(ids)
    with sheraf.connection(commit=True):
        for id in ids:
            assert Cowboy.read(id).password == "s3cret"
    assert stored_hashes(ids) == upgraded


def test_the_upgrade_is_kept_only_when_the_transaction_commits(file_db):
    ids = cowboys_with_0_6_hashes()
    with sheraf.connection():
        assert all(Cowboy.read(id).password == "s3cret" for id in ids)
    assert stored_hashes(ids) == SHERAF_0_6_HASHES


def test_the_crypt_arguments_of_sheraf_0_6_are_accepted(db):
    class Sheriff(sheraf.Model):
        table = "password_test_sheriffs"
        md5 = sheraf.PasswordAttribute(method="$1$", n=2**12)
        sha256 = sheraf.PasswordAttribute(method="$5$", rounds=10000, n=2**12)

    with sheraf.connection():
        george = Sheriff.create(md5="a", sha256="b")
        assert george.md5 == "a" and george.sha256 == "b"
        assert str(george.md5).startswith("$scrypt$")
        assert str(george.sha256).startswith("$scrypt$")


class Sha256PasswordAttribute(sheraf.PasswordAttribute):
    """A hashing of one's own, as sheraf 0.6 let users override it."""

    @staticmethod
    def crypt(clear, *args, **kwargs):
        return "sha256:" + hashlib.sha256(clear.encode()).hexdigest()

    @staticmethod
    def compare(clear, crypted):
        return Sha256PasswordAttribute.crypt(clear) == crypted


class Deputy(sheraf.Model):
    table = "password_test_deputies"
    password = Sha256PasswordAttribute()


def test_crypt_and_compare_can_be_overridden(file_db):
    with sheraf.connection(commit=True):
        peter = Deputy.create(password="secret")
        assert str(peter.password) == "sha256:" + hashlib.sha256(b"secret").hexdigest()
    with sheraf.connection(commit=True):
        peter = Deputy.read(peter.id)
        assert peter.password == "secret" and not peter.password == "other"
    with sheraf.connection():
        assert Deputy.read(peter.id).mapping["password"].startswith("sha256:")
