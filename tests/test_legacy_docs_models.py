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
