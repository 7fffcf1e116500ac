"""sheraf with real WTForms, as sheraf 0.6's page on integrations shows it:
forms filled from models, models filled from forms with ``assign``, over
requests built by werkzeug."""

import pytest
import wtforms
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

import sheraf


class Horse(sheraf.InlineModel):
    name = sheraf.SimpleAttribute()


class Cowboy(sheraf.Model):
    table = "integrations_wtforms_cowboys"
    name = sheraf.SimpleAttribute()
    age = sheraf.IntegerAttribute()
    horses = sheraf.SmallListAttribute(sheraf.InlineModelAttribute(Horse))


class HorseForm(wtforms.Form):
    name = wtforms.StringField(label="The horse name")


class CowboyForm(wtforms.Form):
    name = wtforms.StringField(label="The cowboy name")
    age = wtforms.IntegerField(label="The cowboy age")
    horses = wtforms.FieldList(wtforms.FormField(HorseForm))


@sheraf.commit
def cowboy_form(request, cowboy_id):
    """The page's request handler: the form filled from the cowboy, and the
    cowboy from the form when a valid one is posted."""
    cowboy = Cowboy.read(cowboy_id)
    form = CowboyForm(request.form or None, cowboy)
    if request.method == "POST" and form.validate():
        cowboy.assign(**form.data)
    return cowboy, form


def post(**data):
    return Request(EnvironBuilder(method="POST", data=data).get_environ())


@pytest.fixture
def george_id(db):
    with sheraf.connection(commit=True):
        return Cowboy.create(
            name="George Abitbol", age=50, horses=[{"name": "Jolly Jumper"}]
        ).id


def test_the_form_is_filled_from_the_model(george_id):
    request = Request(EnvironBuilder(method="GET").get_environ())
    with sheraf.connection():
        cowboy, form = cowboy_form(request, george_id)
        assert cowboy.name == "George Abitbol"
    assert form.name.data == "George Abitbol"
    assert form.age.data == 50
    assert form.horses.data == [{"name": "Jolly Jumper"}]


def test_an_invalid_form_changes_nothing(george_id):
    request = post(
        **{
            "name": "George Abitbol",
            "age": "fifty-one",
            "horses-0-name": "Jolly Jumper",
            "horses-1-name": "Polly Pumper",
        }
    )
    with sheraf.connection():
        _, form = cowboy_form(request, george_id)
    assert form.errors == {"age": ["Not a valid integer value."]}
    with sheraf.connection():
        cowboy = Cowboy.read(george_id)
        assert cowboy.age == 50
        assert [horse.name for horse in cowboy.horses] == ["Jolly Jumper"]


def test_assign_adds_and_removes_inline_models_as_the_form_says(george_id):
    both = {"name": "George Abitbol", "age": "51", "horses-0-name": "Jolly Jumper"}
    with sheraf.connection():
        cowboy_form(post(**both, **{"horses-1-name": "Polly Pumper"}), george_id)
    with sheraf.connection():
        cowboy = Cowboy.read(george_id)
        assert cowboy.age == 51
        assert [horse.name for horse in cowboy.horses] == [
            "Jolly Jumper",
            "Polly Pumper",
        ]

    with sheraf.connection():
        cowboy_form(post(**both), george_id)
    with sheraf.connection():
        cowboy = Cowboy.read(george_id)
        assert [horse.name for horse in cowboy.horses] == ["Jolly Jumper"]
