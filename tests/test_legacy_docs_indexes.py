"""What sheraf 0.6's documentation on indexes shows, in examples of our
own: attributes that bring their own index keys, index functions declared
on an attribute's own index, conditional indexes over several attributes,
and search() on attributes that are not indexed."""

import pytest

import sheraf


class DomainAttribute(sheraf.StringAttribute):
    """An email, indexed by its domain: one key, not a collection."""

    def index_keys(self, email):
        return email.rsplit("@", 1)[-1].lower()

    def search_keys(self, email):
        return email.rsplit("@", 1)[-1].lower()


class Rider(sheraf.Model):
    table = "legacy_docs_riders"
    email = DomainAttribute().index()


def test_an_attribute_subclass_indexes_by_its_own_keys(db):
    with sheraf.connection():
        george = Rider.create(email="George@Abitbol.com")
        assert george.index_keys("email") == {"abitbol.com"}
        assert list(Rider.search(email="peter@abitbol.com")) == [george]
        assert list(Rider.search(email="ABITBOL.COM")) == [george]
        # filter() looks the value up as it is, as it always did.
        assert list(Rider.filter(email="abitbol.com")) == [george]
        assert list(Rider.filter(email="George@Abitbol.com")) == []
        assert list(Rider.search(email="george@yaal.coop")) == []


class Horse(sheraf.Model):
    table = "legacy_docs_horses"
    name = sheraf.StringAttribute()
    for_sale = sheraf.BooleanAttribute()
    breed = sheraf.StringAttribute()

    on_sale = sheraf.Index(name, for_sale)

    @on_sale.index_keys_func(name, for_sale)
    def names_on_sale(self, name, for_sale):
        return {name} if for_sale else {}


def test_an_index_over_two_attributes_files_only_what_its_function_says(db):
    with sheraf.connection(commit=True):
        jolly = Horse.create(name="Jolly", for_sale=True, breed="mustang")
        polly = Horse.create(name="Polly", for_sale=False, breed="shetland")
        assert list(Horse.search(on_sale="Jolly")) == [jolly]
        assert list(Horse.search(on_sale="Polly")) == []

    with sheraf.connection(commit=True):
        jolly.for_sale = False
        polly.for_sale = True

    with sheraf.connection():
        assert list(Horse.search(on_sale="Jolly")) == []
        assert list(Horse.search(on_sale="Polly")) == [polly]
        assert list(Horse.filter(on_sale="Polly")) == [polly]
        assert Horse.count("on_sale") == 1


def test_search_on_an_attribute_with_no_index_compares_values(db):
    with sheraf.connection():
        jolly = Horse.create(name="Jolly", for_sale=True, breed="mustang")
        polly = Horse.create(name="Polly", for_sale=True, breed="shetland")
        assert list(Horse.search(breed="mustang")) == [jolly]
        assert list(sheraf.QuerySet([jolly, polly]).search(breed="shetland")) == [polly]
        assert list(Horse.search(breed="MUSTANG")) == []
        assert list(Horse.search(breed="mustang", on_sale="Jolly")) == [jolly]


def test_functions_declared_on_an_attributes_own_index(db):
    class Mule(sheraf.Model):
        table = "legacy_docs_mules"
        name = sheraf.StringAttribute().index()
        nickname = sheraf.StringAttribute().index(unique=True)

        @name.index_keys_func
        def lowercase_name(self, name):
            return name.lower()

        @name.search_keys_func
        def lowercase_name_or_plural(self, name):
            return [name.lower(), name.lower() + "s"]

        @nickname.index_keys_func
        def lowercase_nickname(nickname):
            return nickname.lower()

    with sheraf.connection():
        francis = Mule.create(name="Francis", nickname="Franky")
        assert francis.index_keys("name") == {"francis"}
        assert list(Mule.search(name="FRANCIS")) == [francis]
        assert list(Mule.search(name="Franci")) == [francis]
        assert Mule.read(nickname="franky") == francis
        assert list(Mule.search(name="Franky")) == []


def test_an_attribute_says_whether_it_holds_the_primary_index(db):
    class Mule(sheraf.Model):
        table = "legacy_docs_primary_mules"
        name = sheraf.StringAttribute().index(unique=True)
        age = sheraf.IntegerAttribute()

    class Donkey(sheraf.AttributeModel):
        name = sheraf.StringAttribute().index(primary=True)

    assert Mule.id.has_primary_index
    assert not Mule.name.has_primary_index
    assert not Mule.age.has_primary_index
    assert Donkey.name.has_primary_index


def test_an_index_function_on_an_attribute_with_no_index_is_refused():
    with pytest.raises(AttributeError, match="StringAttribute has no index"):

        class Mule(sheraf.Model):
            table = "legacy_docs_unindexed_mules"
            name = sheraf.StringAttribute()

            @name.index_keys_func
            def lowercase_name(self, name):
                return name.lower()
