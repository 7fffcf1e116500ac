"""What sheraf 0.6's models offer to their users, in examples of our own:
the message of a failed read, deletion state, index maintenance, and the
place of a model's table among databases."""

import pytest

import sheraf


class Saddle(sheraf.Model):
    table = "legacy_docs_saddles"
    maker = sheraf.StringAttribute().index(unique=True)


def test_a_failed_read_says_the_key_the_model_and_the_index(db):
    with sheraf.connection():
        with pytest.raises(sheraf.ModelObjectNotFoundException) as by_id:
            Saddle.read("nope")
        with pytest.raises(sheraf.ModelObjectNotFoundException) as by_maker:
            Saddle.read(maker="Hermès")
    assert str(by_id.value) == "Key 'nope' not found in Saddle, 'id' index"
    assert str(by_maker.value) == "Key 'Hermès' not found in Saddle, 'maker' index"
    assert by_maker.value.identifier == "Hermès"
    assert by_maker.value.model_class is Saddle


def test_the_message_of_a_failed_read_follows_its_template(db):
    class SaddleNotFound(sheraf.ModelObjectNotFoundException):
        MESSAGE_TPL = "no {model_name} with {index_name}={identifier}"

    with sheraf.connection():
        assert not Saddle.exists("nope")
    assert str(SaddleNotFound(Saddle, "x", "maker")) == "no Saddle with maker='x'"


class Pony(sheraf.AttributeModel):
    name = sheraf.StringAttribute().index(primary=True)
    coat = sheraf.StringAttribute()


class Rancher(sheraf.Model):
    table = "legacy_docs_ranchers"
    ponies = sheraf.IndexedModelAttribute(Pony).index()


def test_an_indexed_model_attribute_files_its_owner_under_its_identifiers(db):
    with sheraf.connection(commit=True):
        george = Rancher.create(ponies=[{"name": "Jolly"}, {"name": "Polly"}])
        peter = Rancher.create()
        assert george.index_keys("ponies") == {"Jolly", "Polly"}
        assert peter.index_keys("ponies") == set()
    with sheraf.connection():
        jolly = george.ponies.read("Jolly")
        assert list(Rancher.search(ponies="Jolly")) == [george]
        assert list(Rancher.search(ponies=jolly)) == [george]
        assert list(Rancher.search(ponies="Superpony")) == []


def test_an_owner_follows_the_instances_created_and_deleted_in_its_table(db):
    with sheraf.connection(commit=True):
        george = Rancher.create()
        jolly = george.ponies.create(name="Jolly")
        george.ponies.create(name="Polly")
    with sheraf.connection(commit=True):
        assert list(Rancher.search(ponies="Polly")) == [george]
        Rancher.read(george.id).ponies.read("Jolly").delete()
    with sheraf.connection():
        assert list(Rancher.search(ponies=jolly)) == []
        assert Rancher.read(george.id).index_keys("ponies") == {"Polly"}
        assert list(Rancher.search(ponies="Polly")) == [george]


class Stallion(sheraf.Model):
    table = "legacy_docs_stallions"
    name = sheraf.StringAttribute().index()
    size = sheraf.IntegerAttribute().index()


def test_an_instance_says_whether_it_was_deleted(db):
    with sheraf.connection():
        jolly = Stallion.create(name="Jolly")
        assert jolly.deleted is False
        jolly.delete()
        assert jolly.deleted is True
        with pytest.raises(AttributeError, match="deleted"):
            jolly.name


def test_index_table_reset_drops_indexes_until_they_are_rebuilt(db):
    with sheraf.connection() as connection:
        jolly = Stallion.create(name="Jolly", size=3)
        table = connection.root()[Stallion.table]
        Stallion.index_table_reset("name")
        assert "name" not in table and "size" in table
        assert Stallion.outdated_indexes() == ["name"]
        Stallion.index_table_reset()
        assert "size" not in table
        assert Stallion.read(jolly.id) == jolly
        Stallion.index_table_rebuild()
        assert Stallion.outdated_indexes() == []
        assert list(Stallion.filter(size=3)) == [jolly]


def test_every_indexed_base_finds_a_model_by_its_table():
    for base in (
        sheraf.Model,
        sheraf.IndexedModel,
        sheraf.AttributeModel,
        sheraf.models.indexation.BaseIndexedModel,
    ):
        assert base.from_table("legacy_docs_stallions") is Stallion
        assert base.from_table("legacy_docs_no_such_table") is None


def test_index_edition_hooks_reindex_a_change_made_behind_the_models_back(db):
    with sheraf.connection():
        jolly = Stallion.create(name="Jolly", size=3)
        previous = jolly.before_index_edition(Stallion.name)
        jolly.mapping["name"] = "Polly"
        jolly.after_index_edition(Stallion.name, previous)
        assert list(Stallion.search(name="Polly")) == [jolly]
        assert list(Stallion.search(name="Jolly")) == []


def test_two_models_may_share_a_table_when_they_say_so(db):
    class Filly(sheraf.Model):
        table = "legacy_docs_shared_fillies"
        name = sheraf.StringAttribute()

    class YoungFilly(sheraf.Model):
        table = "legacy_docs_shared_fillies"
        unique_table_name = False
        name = sheraf.StringAttribute()

    with sheraf.connection():
        polly = Filly.create(name="Polly")
        assert YoungFilly.read(polly.id).name == "Polly"

    with pytest.raises(sheraf.exceptions.SameNameForTableException):

        class OldFilly(sheraf.Model):
            table = "legacy_docs_shared_fillies"
