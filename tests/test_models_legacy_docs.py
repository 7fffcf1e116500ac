"""Examples of the documentation of sheraf 0.6, run as their users wrote
them. Two differ on purpose: a float that is not whole is refused by an
IntegerAttribute instead of being truncated (``51.5`` is not ``51``)."""

import enum

import pytest
from ZODB.POSException import ConflictError

import sheraf


def test_the_tutorial_on_collections(db):
    class Cowboy(sheraf.Model):
        table = "legacy_cowboy_collections"
        name = sheraf.StringAttribute()
        surnames = sheraf.ListAttribute(persistent_type=sheraf.types.SmallList)
        horse_breeds = sheraf.DictAttribute(persistent_type=sheraf.types.LargeDict)
        favorite_numbers = sheraf.SetAttribute()
        animal_breeds = sheraf.SmallDictAttribute(
            sheraf.SmallDictAttribute(sheraf.StringAttribute())
        )
        dice_results = sheraf.LargeDictAttribute(
            sheraf.SmallListAttribute(sheraf.IntegerAttribute())
        )

    with sheraf.connection(commit=True):
        george = Cowboy.create(
            name="George Abitbol",
            surnames=["georgy", "the classiest man in the world"],
            horse_breeds={"jolly jumper": "mustang", "polly pumper": "shetland"},
            favorite_numbers={13, 11, 17},
            animal_breeds={"horses": {"jolly jumper": "mustang"}},
            dice_results={"monday": [2, 6, 4], "tuesday": [1, 1, 3]},
        )
        assert george.surnames[0] == "georgy"
        assert george.horse_breeds["jolly jumper"] == "mustang"
        assert 13 in george.favorite_numbers
        assert george.animal_breeds["horses"]["jolly jumper"] == "mustang"
        assert 6 == george.dice_results["monday"][1]


def test_the_tutorial_on_typed_attributes_refuses_to_truncate(db):
    class Cowboy(sheraf.Model):
        table = "legacy_cowboy_typed"
        age = sheraf.IntegerAttribute()
        favorite_numbers = sheraf.LargeListAttribute(sheraf.IntegerAttribute())

    with sheraf.connection():
        george = Cowboy.create(age=50, favorite_numbers=[15, 3])
        george.age = 51.0
        assert george.age == 51 and list(george.favorite_numbers) == [15, 3]
        with pytest.raises(ValueError, match="not a whole number"):
            george.age = 51.5


def test_the_tutorial_on_models_and_keys(db):
    class StringAttributesCowboy(
        sheraf.NamedAttributesModel, sheraf.UUIDIndexedModel, sheraf.IndexedModel
    ):
        table = "string_attributes_cowboys"
        name = sheraf.StringAttribute()
        email = sheraf.StringAttribute()

    class IntAttributesCowboy(
        sheraf.IntAttributesModel, sheraf.UUIDIndexedModel, sheraf.IndexedModel
    ):
        table = "int_attributes_cowboys"
        name = sheraf.StringAttribute()
        email = sheraf.StringAttribute()

    with sheraf.connection(commit=True):
        george = StringAttributesCowboy.create(
            name="George", email="george@abitbol.com"
        )
        peter = IntAttributesCowboy.create(name="Peter", email="peter@sheraf.com")

    class StringAttributesCowboy(
        sheraf.NamedAttributesModel, sheraf.UUIDIndexedModel, sheraf.IndexedModel
    ):
        table = "string_attributes_cowboys"
        name = sheraf.StringAttribute()
        awesome_email = sheraf.StringAttribute(key="email")

    class IntAttributesCowboy(
        sheraf.IntAttributesModel, sheraf.UUIDIndexedModel, sheraf.IndexedModel
    ):
        table = "int_attributes_cowboys"
        email = sheraf.StringAttribute(key=1)
        name = sheraf.StringAttribute(key=0)

    with sheraf.connection():
        assert (
            StringAttributesCowboy.read(george.id).awesome_email == "george@abitbol.com"
        )
        assert IntAttributesCowboy.read(peter.id).email == "peter@sheraf.com"


def test_the_model_attribute_reference(db):
    class Horse(sheraf.Model):
        table = "legacy_horse"
        name = sheraf.SimpleAttribute()

    class Pony(sheraf.Model):
        table = "legacy_pony"
        name = sheraf.SimpleAttribute()

    class Cowboy(sheraf.Model):
        table = "legacy_cowboy_mount"
        name = sheraf.SimpleAttribute()
        mount = sheraf.ModelAttribute(Horse)

    with sheraf.connection(commit=True):
        jolly = Horse.create(name="Jolly Jumper")
        george = Cowboy.create(name="George Abitbol", mount=jolly)
        assert george.mount.name == "Jolly Jumper"
    with sheraf.connection(commit=True):
        peter = Cowboy.create(name="Peter", mount={"name": "Polly Pumper"})
        assert isinstance(peter.mount, Horse) and peter.mount.name == "Polly Pumper"
    with sheraf.connection(commit=True):
        george = Cowboy.read(george.id)
        jolly.delete()
        assert george.mount is None

    class Cowboy(sheraf.Model):
        table = "legacy_cowboy_mount"
        name = sheraf.SimpleAttribute()
        mount = sheraf.ModelAttribute((Horse, Pony))

    with sheraf.connection(commit=True):
        superpony = Pony.create(name="Superpony")
        peter = Cowboy.create(name="Peter", mount=superpony)
        assert peter.mount == superpony


def test_the_inline_model_references(db):
    class Gun(sheraf.InlineModel):
        nb_bullets = sheraf.IntegerAttribute()

    class Cowboy(sheraf.Model):
        table = "legacy_cowboy_guns"
        name = sheraf.SimpleAttribute()
        gun = sheraf.InlineModelAttribute(Gun)
        guns = sheraf.LargeDictAttribute(sheraf.InlineModelAttribute(Gun))
        horse = sheraf.InlineModelAttribute(
            sheraf.InlineModel(name=sheraf.SimpleAttribute())
        )

    with sheraf.connection(commit=True):
        george = Cowboy.create(
            name="George Abitbol",
            gun=Gun.create(nb_bullets=5),
            guns={"martha": Gun.create(nb_bullets=6), "gretta": {"nb_bullets": 5}},
            horse=dict(name="Jolly Jumper"),
        )
        assert 5 == george.gun.nb_bullets
        assert 6 == george.guns["martha"].nb_bullets
        for gun in george.guns.values():
            assert gun.nb_bullets >= 5
        assert george.horse.name == "Jolly Jumper"


def test_the_indexed_model_attribute(db):
    class Horse(sheraf.AttributeModel):
        name = sheraf.StringAttribute().index(primary=True)
        age = sheraf.IntegerAttribute().index(unique=True)
        breed = sheraf.StringAttribute()

    class Cowboy(sheraf.Model):
        table = "legacy_cowboy_indexer"
        name = sheraf.StringAttribute()
        horses = sheraf.IndexedModelAttribute(Horse)

    with sheraf.connection(commit=True):
        george = Cowboy.create(name="George Abitbol")
        jolly = george.horses.create(name="Jolly Jumper", breed="mustang", age=15)
        george.horses.create(name="Polly Pumper", breed="shetland", age=20)
        assert george.horses.read("Jolly Jumper").breed == "mustang"
        assert george.horses.get(age=20).name == "Polly Pumper"
        assert george.horses.count() == 2
        assert jolly == george.horses.read("Jolly Jumper")
        assert jolly in george.horses.search(age=15)


def test_update_and_assign(db):
    class Arm(sheraf.InlineModel):
        name = sheraf.SimpleAttribute()

    class Horse(sheraf.InlineModel):
        name = sheraf.SimpleAttribute()

    class Cowboy(sheraf.Model):
        table = "legacy_people"
        name = sheraf.SimpleAttribute()
        arms = sheraf.SmallListAttribute(sheraf.InlineModelAttribute(Arm))
        horse = sheraf.InlineModelAttribute(Horse)

    with sheraf.connection(commit=True):
        george = Cowboy.create(
            name="Three arms cowboy",
            arms=[{"name": "Arm 1"}, {"name": "Arm 2"}, {"name": "Arm 3"}],
            horse={"name": "Centaurus"},
        )
        assert len(george.arms) == 3
        george.update(name="*incognito*", horse={"name": "Jolly Jumper"})
        assert george.name == "*incognito*"
    with sheraf.connection(commit=True):
        assert george.horse.name == "Jolly Jumper"
        assert (
            len(
                george.assign(
                    name="George Abitbol",
                    arms=[{"name": "Superarm 1"}, {"name": "Superarm 2"}],
                ).arms
            )
            == 2
        )
    with sheraf.connection():
        assert george.arms[0].name == "Superarm 1"


def test_the_enum_attribute(db):
    class Cowboy(sheraf.Model):
        table = "legacy_enum_cowboys"

        class Status(enum.IntEnum):
            FARMER = 0
            COWBOY = 1
            SHERIF = 2

        status = sheraf.EnumAttribute(Status, sheraf.IntegerAttribute())

    with sheraf.connection(commit=True):
        george = Cowboy.create(status=Cowboy.Status.SHERIF)
        assert george.status == 2
        assert george.status == Cowboy.Status.SHERIF
    with sheraf.connection(commit=True):
        assert george.status.is_sherif
        assert not george.status.is_farmer


def test_the_list_of_blobs(db):
    class Cowboy(sheraf.Model):
        table = "legacy_cowboy_faxes"
        name = sheraf.SimpleAttribute()
        faxes = sheraf.LargeListAttribute(sheraf.BlobAttribute())

    with sheraf.connection():
        george = Cowboy.create(
            name="George Abitbol",
            faxes=[
                sheraf.Blob.create(
                    filename="peter1.txt", data=b"Can you give me my pin's back please?"
                )
            ],
        )
        george.faxes.append(
            sheraf.Blob.create(
                filename="peter2.txt", data=b"Hey! Did you receive my last fax?"
            )
        )
        assert "peter1.txt" == george.faxes[0].original_name
        assert b"fax" in george.faxes[1].data


def test_the_counter_attribute(db):
    class MyModel(sheraf.Model):
        table = "legacy_mymodel"
        counter = sheraf.CounterAttribute()

    with sheraf.connection(commit=True):
        m = MyModel.create()
        m.counter.increment(1)
        m.counter.decrement(1)

    with sheraf.connection(commit=True):
        sheraf.Database.get().nestable = True
        m1 = MyModel.read(m.id)
        with sheraf.connection(commit=True):
            m2 = MyModel.read(m.id)
            m2.counter.decrement(10)
        m1.counter.increment(100)

    with sheraf.connection():
        assert 90 == MyModel.read(m.id).counter

    with pytest.raises(ConflictError):
        with sheraf.connection(commit=True):
            m1 = MyModel.read(m.id)
            with sheraf.connection(commit=True):
                MyModel.read(m.id).counter = 10
            m1.counter.increment(100)


def test_the_indexed_lists_and_sets(db):
    class Cowboy(sheraf.Model):
        table = "legacy_cowboy_colors"
        favorite_colors = sheraf.LargeListAttribute(sheraf.StringAttribute()).index()
        other_colors = sheraf.SetAttribute(sheraf.StringAttribute()).index()

    with sheraf.connection():
        george = Cowboy.create(
            favorite_colors=["red", "green", "blue"], other_colors={"red"}
        )
        assert george in Cowboy.search(favorite_colors="red")
        assert george in Cowboy.search(favorite_colors="blue")
        assert george not in Cowboy.search(favorite_colors="yellow")
        assert george in Cowboy.search(other_colors="red")
        # sheraf 0.6 left the index behind here; it follows now.
        george.favorite_colors.append("purple")
        assert george in Cowboy.search(favorite_colors="purple")


def test_model_callbacks(db, capsys):
    class Cowboy(sheraf.Model):
        table = "legacy_cowboy_cb_creation"
        name = sheraf.StringAttribute()
        age = sheraf.IntegerAttribute()

        @age.on_edition
        def update_age(self, new, old):
            print("I was", old, "years old")
            yield
            print("Now I am", new, "years old")

    @Cowboy.on_creation
    def welcome_new_cowboys(cowboy):
        yield
        print(f"Welcome {cowboy.name}!")

    @Cowboy.on_deletion
    def goodby_old_cowboys(cowboy):
        print(f"So long {cowboy.name}!")

    with sheraf.connection():
        george = Cowboy.create(name="George Abitbol", age=50)
        george.age = 51
        george.delete()
    assert capsys.readouterr().out == (
        "Welcome George Abitbol!\nI was 50 years old\nNow I am 51 years old\nSo long George Abitbol!\n"
    )
