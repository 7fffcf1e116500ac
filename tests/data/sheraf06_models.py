"""The models of the data that sheraf 0.6.0 wrote in ``sheraf-0.6.0/``.

This module runs with both sheraf 0.6.0 (``make_sheraf06_data.py`` imports
it to write the data) and this sheraf (the tests import it to read the
data): it uses only what both have.
"""

import enum

import legacycrypt

import sheraf

SECOND_DATABASE = "sheraf06_second"


class Status(enum.IntEnum):
    FARMER = 0
    SHERIF = 1


class Horse(sheraf.InlineModel):
    name = sheraf.StringAttribute()


class Mule(sheraf.AttributeModel):
    name = sheraf.StringAttribute().index(primary=True)
    age = sheraf.IntegerAttribute().index()


class Steed(sheraf.Model):
    table = "sheraf06_steeds"
    name = sheraf.StringAttribute()


class Cowboy(sheraf.Model):
    table = "sheraf06_cowboys"
    name = sheraf.StringAttribute().index()
    age = sheraf.IntegerAttribute()
    status = sheraf.EnumAttribute(Status, sheraf.IntegerAttribute())
    small = sheraf.SmallListAttribute(sheraf.IntegerAttribute())
    large = sheraf.LargeListAttribute(sheraf.IntegerAttribute())
    tags = sheraf.SetAttribute(sheraf.StringAttribute())
    sdict = sheraf.SmallDictAttribute(sheraf.StringAttribute())
    ldict = sheraf.LargeDictAttribute(sheraf.InlineModelAttribute(Horse))
    horse = sheraf.InlineModelAttribute(Horse)
    steed = sheraf.ModelAttribute(Steed)
    shots = sheraf.CounterAttribute()
    mules = sheraf.IndexedModelAttribute(Mule)


class Hat(sheraf.InlineModel):
    color = sheraf.StringAttribute()
    size = sheraf.IntegerAttribute()


def lowercase(email):
    return {email.lower()} if email else set()


class Sheriff(sheraf.Model):
    table = "sheraf06_sheriffs"
    name = sheraf.StringAttribute().index(unique=True)
    email = sheraf.StringAttribute().index(
        unique=True, index_keys_func=lowercase, search_keys_func=lowercase
    )
    age = sheraf.IntegerAttribute().index()
    nicknames = sheraf.LargeListAttribute(sheraf.StringAttribute()).index()
    birth = sheraf.DateAttribute().index()
    licence = sheraf.UUIDAttribute().index()
    password = sheraf.PasswordAttribute()
    md5_password = sheraf.PasswordAttribute(method=legacycrypt.METHOD_MD5)
    sha256_password = sheraf.PasswordAttribute(
        method=legacycrypt.METHOD_SHA256, rounds=10000
    )
    portrait = sheraf.FileAttribute()
    badge = sheraf.BlobAttribute()
    arrests = sheraf.CounterAttribute()
    hat = sheraf.InlineModelAttribute(Hat)
    hats = sheraf.LargeDictAttribute(sheraf.InlineModelAttribute(Hat))


class Town(sheraf.IntOrderedNamedAttributesModel):
    table = "sheraf06_towns"
    name = sheraf.StringAttribute().index(unique=True)
    sheriff = sheraf.ModelAttribute(Sheriff).index()


class Saddle(sheraf.Model):
    """Kept in the second database, or in the default one for saddles
    written there (sheraf 0.6 reads those too)."""

    table = "sheraf06_saddles"
    database_name = SECOND_DATABASE
    brand = sheraf.StringAttribute().index()


def index_answers():
    """What the index queries of this data answer, as sorted names: the
    same code runs with sheraf 0.6.0 (the answers are in expected.json)
    and with this sheraf. It needs a connection."""
    george = Sheriff.search(name="George").get()
    queries = {
        "sheriff by name": Sheriff.search(name="George"),
        "sheriff by email, another case": Sheriff.search(
            email="GEORGE@abitbol.EXAMPLE"
        ),
        "sheriffs by age": Sheriff.search(age=50),
        "sheriffs by nickname": Sheriff.search(nicknames="the sheriff"),
        "sheriffs by birth": Sheriff.search(birth=george.birth),
        "sheriffs by licence": Sheriff.search(licence=george.licence),
        "sheriffs ordered by age": Sheriff.all().order(age=sheraf.DESC),
        "towns by sheriff": Town.search(sheriff=george),
        "towns by name": Town.search(name="Tombstone"),
        "saddles": Saddle.all(),
        "saddles by brand": Saddle.search(brand="Mexican"),
        "cowboys by name": Cowboy.search(name="George"),
    }
    return {
        label: [getattr(m, "name", None) or m.brand for m in found]
        for label, found in queries.items()
    }
