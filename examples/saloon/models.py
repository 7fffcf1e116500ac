"""The saloon's data."""

import sheraf


class Cowboy(sheraf.Model):
    table = "saloon_cowboys"
    name = sheraf.StringAttribute().index(unique=True)
    gunskill = sheraf.IntegerAttribute()

    def as_json(self):
        return {"id": self.id, "name": self.name, "gunskill": self.gunskill}
