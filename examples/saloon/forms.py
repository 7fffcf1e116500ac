"""The saloon's form: a cowboy's name, for hiring and for renaming.

Its field has the name of the model's attribute, so that the form is filled
from a cowboy (``CowboyForm(request.form or None, cowboy)``) and a cowboy
from the form (``Cowboy.create(**form.data)``, ``cowboy.assign(**form.data)``).

>>> CowboyForm(data={"name": "  George  "}).data
{'name': 'George'}
>>> form = CowboyForm(data={"name": 5})
>>> form.validate(), form.errors
(False, {'name': ['A cowboy needs a name.']})
"""

import wtforms
from wtforms.validators import DataRequired


def stripped_text(value):
    """``value`` without surrounding blanks, and ``None`` if it is not text."""
    return value.strip() if isinstance(value, str) else None


class CowboyForm(wtforms.Form):
    name = wtforms.StringField(
        "Name",
        filters=[stripped_text],
        validators=[DataRequired("A cowboy needs a name.")],
    )
