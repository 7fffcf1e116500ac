"""Attributes that hold models: references, reverse references, inline
models and indexed models."""

import pytest

import sheraf


class Horse(sheraf.Model):
    table = "models_test_horses"
    name = sheraf.StringAttribute().index(unique=True)
    riders = sheraf.ReverseModelAttribute("Cowboy", "horse")
    owners = sheraf.ReverseModelAttribute("Cowboy", "spare_horses")


class Pony(sheraf.IntOrderedNamedAttributesModel):
    table = "models_test_ponies"
    name = sheraf.StringAttribute()


class Saddle(sheraf.InlineModel):
    color = sheraf.StringAttribute(default="brown")
    size = sheraf.IntegerAttribute()


class Mule(sheraf.AttributeModel):
    name = sheraf.StringAttribute().index(primary=True)
    age = sheraf.IntegerAttribute().index()


class Cowboy(sheraf.Model):
    table = "models_test_cowboys"
    name = sheraf.StringAttribute()
    horse = sheraf.ModelAttribute(Horse).index()
    spare_horses = sheraf.SetAttribute(sheraf.ModelAttribute("Horse")).index()
    mount = sheraf.ModelAttribute([Horse, Pony])
    saddle = sheraf.InlineModelAttribute(Saddle)
    hat = sheraf.InlineModelAttribute(
        sheraf.InlineModel(
            color=sheraf.StringAttribute(), size=sheraf.IntegerAttribute()
        ),
        default=None,
    )
    mules = sheraf.IndexedModelAttribute(Mule)


def test_a_model_attribute_refers_to_an_instance(db):
    with sheraf.connection(commit=True):
        jolly = Horse.create(name="Jolly")
        george = Cowboy.create(name="George", horse=jolly)
        peter = Cowboy.create(name="Peter", horse=jolly.id)
        steven = Cowboy.create(name="Steven", horse={"name": "Polly"})
        assert george.mapping["horse"] == jolly.id
    with sheraf.connection():
        assert Cowboy.read(george.id).horse == jolly == Cowboy.read(peter.id).horse
        assert Cowboy.read(steven.id).horse == Horse.read(name="Polly")
        assert Cowboy.read(george.id).horse.name == "Jolly"


def test_a_model_attribute_reads_none_once_the_instance_is_deleted(db):
    with sheraf.connection():
        jolly = Horse.create(name="Jolly")
        george = Cowboy.create(horse=jolly)
        jolly.delete()
        assert george.horse is None


@pytest.mark.parametrize(
    "value, error, message",
    [
        (
            "unknown-id",
            ValueError,
            "Cowboy.horse (ModelAttribute) cannot hold 'unknown-id': no Horse has this identifier",
        ),
        (Saddle.create(), TypeError, "a Horse is needed, not a Saddle"),
        (
            {"name": ["not", "a", "name"]},
            TypeError,
            "Horse.name (StringAttribute) cannot hold",
        ),
    ],
)
def test_a_model_attribute_refuses_what_it_cannot_refer_to(db, value, error, message):
    with sheraf.connection():
        with pytest.raises(error) as info:
            Cowboy.create(horse=value)
        assert message in str(info.value)
        assert Cowboy.count() == 0 and Horse.count() == 0


def test_a_model_attribute_of_several_models(db):
    with sheraf.connection(commit=True):
        pony = Pony.create(name="Superpony")
        horse = Horse.create(name="Jolly")
        george = Cowboy.create(mount=pony)
        peter = Cowboy.create(mount=horse)
        steven = Cowboy.create(mount={"name": "Polly"})
        assert george.mapping["mount"] == ("models_test_ponies", pony.id)
        with pytest.raises(TypeError, match="a Horse or Pony is needed"):
            Cowboy.create(mount=Saddle.create())
    with sheraf.connection():
        assert Cowboy.read(george.id).mount == pony
        assert Cowboy.read(peter.id).mount == horse
        assert isinstance(Cowboy.read(steven.id).mount, Horse)


def test_an_indexed_model_attribute_is_searchable(db):
    with sheraf.connection():
        jolly = Horse.create(name="Jolly")
        george = Cowboy.create(horse=jolly)
        assert Cowboy.search(horse=jolly).get() == george
        assert Cowboy.search(horse=jolly.id).get() == george
        polly = Horse.create(name="Polly")
        george.horse = polly
        assert not Cowboy.search(horse=jolly)
        assert Cowboy.search(horse=polly).get() == george


def test_a_dictionary_that_fails_creates_nothing(db):
    with sheraf.connection(commit=True):
        with pytest.raises(ValueError):
            Cowboy.create(horse={"name": "Jolly"}, saddle={"size": "big"})
        with pytest.raises(sheraf.UniqueIndexException):
            Cowboy.create(horse={"name": "Jolly"}, mount={"name": "Jolly"})
        assert Horse.count() == 0 and Cowboy.count() == 0
        Cowboy.create(name="George")
    with sheraf.connection():
        assert [cowboy.name for cowboy in Cowboy.all()] == ["George"]
        assert Horse.count() == 0


def test_editing_a_reference_edits_the_referred_instance(db):
    with sheraf.connection():
        george = Cowboy.create(horse={"name": "Jolly"})
        george.update(horse={"name": "Jolly Jumper"})
        assert Horse.read(name="Jolly Jumper") == george.horse
        polly = Horse.create(name="Polly")
        george.update(horse=polly)
        assert george.horse == polly
        george.edit({"horse": {"name": "Polly Pumper"}}, replacement=True)
        assert george.horse.name == "Polly Pumper" and george.horse != polly


def test_a_reverse_model_attribute_finds_who_refers(db):
    with sheraf.connection(commit=True):
        jolly = Horse.create(name="Jolly")
        Cowboy.create(name="George", horse=jolly)
        Cowboy.create(name="Peter", horse=jolly)
    with sheraf.connection():
        jolly = Horse.read(jolly.id)
        assert sorted(cowboy.name for cowboy in jolly.riders) == ["George", "Peter"]
        assert Horse.create(name="Polly").riders.count() == 0


def test_writing_a_reverse_model_attribute_changes_the_referring_instances(db):
    with sheraf.connection(commit=True):
        george, peter, steven = (
            Cowboy.create(name=name) for name in ("George", "Peter", "Steven")
        )
        jolly = Horse.create(name="Jolly", riders=[george, peter.id])
        polly = Horse.create(name="Polly", owners=george)
        assert george.horse == jolly and peter.horse == jolly
        assert george.spare_horses == {polly}
        jolly.riders = [steven]
        assert george.horse is None and steven.horse == jolly
        polly.owners = [peter, steven]
    with sheraf.connection(commit=True):
        assert Cowboy.read(george.id).spare_horses == set()
        assert Cowboy.read(peter.id).spare_horses == {polly}
        assert sorted(c.name for c in Horse.read(polly.id).owners) == [
            "Peter",
            "Steven",
        ]
        Horse.read(polly.id).delete()
    with sheraf.connection():
        assert Cowboy.read(peter.id).spare_horses == set()


def test_a_reverse_model_attribute_refuses_what_it_cannot_link(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George")
        with pytest.raises(ValueError, match="no Cowboy has the identifier 'nope'"):
            Horse.create(name="Jolly", riders=[george, "nope"])
        with pytest.raises(TypeError, match="a Cowboy is needed, not a Pony"):
            Horse.create(name="Jolly", riders=[Pony.create()])
        assert Horse.count() == 0
    with sheraf.connection():
        assert Cowboy.read(george.id).horse is None


def test_a_reverse_of_an_attribute_without_index_is_an_error(db):
    class Rider(sheraf.Model):
        table = "models_test_riders"
        horse = sheraf.ModelAttribute(Horse)

    class Donkey(sheraf.Model):
        table = "models_test_donkeys"
        riders = sheraf.ReverseModelAttribute(Rider, "horse")
        names = sheraf.ReverseModelAttribute(Rider, "name")

    with sheraf.connection():
        donkey = Donkey.create()
        with pytest.raises(
            sheraf.SherafException, match="Rider.horse should be indexed"
        ):
            donkey.riders
        with pytest.raises(
            sheraf.SherafException, match="Rider.name should be a ModelAttribute"
        ):
            donkey.names


def test_an_unknown_model_name_is_an_error(db):
    class Lonely(sheraf.Model):
        table = "models_test_lonely"
        friend = sheraf.ModelAttribute("NoSuchModel")

    with sheraf.connection():
        with pytest.raises(
            sheraf.SherafException, match="No model is named 'NoSuchModel'"
        ):
            Lonely.create(friend="x")


def test_models_can_be_named_by_their_module_path(db):
    attribute = sheraf.ModelAttribute(f"{__name__}.Horse")
    assert attribute.model is Horse
    assert sheraf.ModelAttribute("tests.test_attributes_models.Pony").model is Pony


def test_an_inline_model_attribute_stores_the_model_in_the_record(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(saddle={"size": 3})
        peter = Cowboy.create(saddle=Saddle.create(color="black"))
        steven = Cowboy.create()
        assert isinstance(george.mapping["saddle"], sheraf.types.SmallDict)
        george.saddle.size = 4
    with sheraf.connection():
        assert (
            Cowboy.read(george.id).saddle.color,
            Cowboy.read(george.id).saddle.size,
        ) == ("brown", 4)
        assert Cowboy.read(peter.id).saddle.color == "black"
        assert Cowboy.read(steven.id).saddle.size == 0
        with pytest.raises(TypeError, match="a Saddle or a dict is needed, not str"):
            Cowboy.create(saddle="black")


def test_an_inline_model_is_a_value(db):
    with sheraf.connection():
        saddle = Saddle.create(color="black")
        george = Cowboy.create(saddle=saddle)
        peter = Cowboy.create(saddle=george.saddle)
        saddle.color = "red"
        peter.saddle.color = "white"
        assert george.saddle.color == "black"
        assert george.saddle == Saddle.create(color="black")
        assert george.saddle != peter.saddle
        with pytest.raises(TypeError):
            hash(george.saddle)


def test_anonymous_inline_models(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(hat={"color": "black", "size": 2})
        peter = Cowboy.create()
        assert peter.hat is None
    with sheraf.connection():
        hat = Cowboy.read(george.id).hat
        assert (hat.color, hat.size) == ("black", 2)
        assert (
            isinstance(hat, sheraf.InlineModel) and type(hat) is not sheraf.InlineModel
        )
        assert sheraf.InlineModel.attributes == {}


def test_editing_an_inline_model(db):
    with sheraf.connection():
        george = Cowboy.create(saddle={"color": "black", "size": 2})
        george.update(saddle={"size": 3})
        assert (george.saddle.color, george.saddle.size) == ("black", 3)
        george.edit({"saddle": {"size": 4}}, replacement=True)
        assert (george.saddle.color, george.saddle.size) == ("brown", 4)
        george.update(hat={"color": "grey"})
        assert george.hat.color == "grey"


def test_an_indexed_model_attribute_holds_a_table(db):
    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George", mules=[{"name": "Jolly", "age": 3}])
        peter = Cowboy.create(name="Peter")
        polly = george.mules.create(name="Polly", age=5)
        peter.mules.create(name="Jolly", age=7)
    with sheraf.connection():
        george, peter = Cowboy.read(george.id), Cowboy.read(peter.id)
        assert george.mules.count() == 2 and peter.mules.count() == 1
        assert (
            george.mules.read("Jolly").age == 3 and peter.mules.read("Jolly").age == 7
        )
        assert george.mules.read("Polly") == polly
        assert george.mules.search(age=5).get().name == "Polly"
        assert [mule.name for mule in george.mules.all()] == ["Jolly", "Polly"]
        assert isinstance(george.mules.read("Jolly"), Mule)
        with pytest.raises(sheraf.ModelObjectNotFoundException):
            peter.mules.read("Polly")
        george.mules.read("Polly").delete()
        assert george.mules.count() == 1
        with pytest.raises(sheraf.SherafException, match="live inside another model"):
            Mule.create(name="Lonely")


def test_editing_an_indexed_model_attribute(db):
    with sheraf.connection():
        george = Cowboy.create(
            mules=[{"name": "Jolly", "age": 3}, {"name": "Polly", "age": 4}]
        )
        george.update(mules=[{"name": "Jolly", "age": 5}, {"name": "Lucky", "age": 1}])
        assert sorted((m.name, m.age) for m in george.mules.all()) == [
            ("Jolly", 5),
            ("Lucky", 1),
            ("Polly", 4),
        ]
        george.assign(mules=[{"name": "Lucky"}])
        assert [m.name for m in george.mules.all()] == ["Lucky"]
        george.edit({"mules": [{"name": "New", "age": 2}]}, replacement=True)
        assert [m.name for m in george.mules.all()] == ["New"]
        with pytest.raises(ValueError, match="Mule.age"):
            george.update(mules=[{"name": "Bad", "age": "old"}])
        assert [m.name for m in george.mules.all()] == ["New"]


def test_copying_a_model_copies_what_it_holds(db):
    with sheraf.connection():
        jolly = Horse.create(name="Jolly")
        george = Cowboy.create(
            name="George",
            horse=jolly,
            saddle={"size": 2},
            mules=[{"name": "Polly", "age": 1}],
        )
        copy = george.copy(name="Copy")
        assert copy.id != george.id and copy.name == "Copy" and copy.horse == jolly
        copy.saddle.size = 5
        copy.mules.create(name="Lucky")
        assert (
            george.saddle.size == 2
            and george.mules.count() == 1
            and copy.mules.count() == 2
        )
        assert sorted(c.name for c in jolly.riders) == ["Copy", "George"]


def test_a_reverse_write_that_fails_links_nothing(db):
    class Badge(sheraf.Model):
        table = "models_test_badges"
        name = sheraf.StringAttribute()
        marshal = sheraf.ReverseModelAttribute("Marshal", "badge")

    class Marshal(sheraf.Model):
        table = "models_test_marshals"
        badge = sheraf.ModelAttribute(Badge).index(unique=True)

    with sheraf.connection():
        wyatt, doc = Marshal.create(), Marshal.create()
        star = Badge.create(name="Star", marshal=wyatt)
        assert star.marshal == wyatt and wyatt.badge == star
        moon = Badge.create(name="Moon")
        with pytest.raises(sheraf.UniqueIndexException):
            moon.marshal = [doc, wyatt]
        assert doc.badge is None and moon.marshal is None and star.marshal == wyatt
