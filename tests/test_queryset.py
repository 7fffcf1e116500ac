"""QuerySets: filters, searches, orders, slices and the other operations,
whether indexes answer them or instances are read; and how much they read."""

import random

import pytest

import sheraf
from sheraf.queryset import SIZE_PROBE


class Cowboy(sheraf.IntOrderedNamedAttributesModel):
    table = "queryset_test_cowboys"
    name = sheraf.StringAttribute().index()
    age = sheraf.IntegerAttribute().index()
    email = sheraf.StringAttribute().index(unique=True)
    town = sheraf.StringAttribute()
    size = sheraf.IntegerAttribute()
    nickname = sheraf.StringAttribute().index(values=str.lower)


@pytest.fixture
def cowboys(db):
    with sheraf.connection(commit=True):
        people = [
            Cowboy.create(
                name="Peter", age=30, email="peter@x.com", town="Dodge", size=180
            ),
            Cowboy.create(
                name="Steven", age=30, email="steven@x.com", town="Tucson", size=175
            ),
            Cowboy.create(
                name="George", age=50, email="george@x.com", town="Dodge", size=175
            ),
            Cowboy.create(name="", age=20, town="Tucson", size=170, nickname="The Kid"),
            Cowboy.create(name=None, age=None, town=None, size=None),
        ]
    return people


def ids(instances):
    return [instance.id for instance in instances]


def test_all_and_order_by_identifier(cowboys):
    with sheraf.connection():
        assert Cowboy.all() == cowboys
        assert Cowboy.all().order(sheraf.ASC) == cowboys
        assert Cowboy.order(sheraf.DESC) == cowboys[::-1]
        assert Cowboy.order(id=sheraf.DESC) == cowboys[::-1]


def test_filter_by_indexed_and_plain_attributes(cowboys):
    peter, steven, george, kid, nobody = cowboys
    with sheraf.connection():
        assert Cowboy.filter(age=30) == [peter, steven]
        assert Cowboy.filter(town="Dodge") == [peter, george]
        assert Cowboy.filter(age=30, town="Dodge") == [peter]
        assert Cowboy.filter(age=30).filter(size=175) == [steven]
        assert Cowboy.filter(name="George", age=50, email="george@x.com") == [george]
        assert Cowboy.filter(name="George", age=30) == []
        assert Cowboy.filter(email="steven@x.com", town="Tucson").get() == steven


def test_filter_by_predicates(cowboys):
    peter, steven, george, kid, nobody = cowboys
    with sheraf.connection():
        assert Cowboy.filter(lambda c: c.size and c.size > 172) == [
            peter,
            steven,
            george,
        ]
        assert Cowboy.filter(lambda c: c.size and c.size > 172, age=30).filter(
            lambda c: c.town == "Tucson"
        ) == [steven]


def test_filter_values_are_compared_as_stored(cowboys):
    peter, steven, george, kid, nobody = cowboys
    with sheraf.connection():
        assert Cowboy.filter(age="50") == [george]
        assert Cowboy.filter(size="180") == [peter]
        assert Cowboy.filter(age="fifty") == []
        assert Cowboy.filter(size=[180]) == []


def test_filter_by_values_an_index_does_not_hold(cowboys):
    peter, steven, george, kid, nobody = cowboys
    with sheraf.connection():
        assert Cowboy.filter(name="") == [kid]
        assert Cowboy.filter(name=None) == [nobody]
        assert Cowboy.filter(age=None) == [nobody]
        assert Cowboy.filter(email="") == [kid, nobody]


def test_filter_twice(cowboys):
    with sheraf.connection():
        assert Cowboy.filter(age=30).filter(age=30).count() == 2
        with pytest.raises(sheraf.InvalidFilterException, match="appeared twice"):
            Cowboy.filter(age=30).filter(age=40)
        with pytest.raises(
            sheraf.InvalidFilterException, match="Cowboy has no attribute horse"
        ):
            Cowboy.filter(horse="Jolly")


def test_search_transforms_values_as_the_index_does(cowboys):
    kid = cowboys[3]
    with sheraf.connection():
        assert Cowboy.search(nickname="THE KID") == [kid]
        assert Cowboy.filter(nickname="the kid") == [kid]
        assert Cowboy.filter(nickname="The Kid") == []
        assert Cowboy.search(age="20") == [kid]
        assert Cowboy.search(town="Dodge") == Cowboy.filter(town="Dodge")


class Letter(sheraf.IntOrderedNamedAttributesModel):
    table = "queryset_letters"
    letter = sheraf.StringAttribute().index(search=lambda letters: list(letters))


def test_search_results_come_in_the_order_of_the_search_keys(db):
    with sheraf.connection():
        a, b, c, other_a = (Letter.create(letter=letter) for letter in "abca")
        assert Letter.search_keys(letter="cab") == {"a", "b", "c"}
        assert Letter.search(letter="cab") == [c, a, other_a, b]
        assert Letter.search(letter="bb") == [b]
        assert Letter.search(letter="cab").count() == 4
        assert Letter.search(letter="cab").order(sheraf.DESC) == [other_a, c, b, a]


def test_order_by_indexed_and_plain_attributes(cowboys):
    peter, steven, george, kid, nobody = cowboys
    with sheraf.connection():
        assert Cowboy.order(name=sheraf.ASC) == [george, peter, steven, kid, nobody]
        assert Cowboy.order(name=sheraf.DESC) == [steven, peter, george, kid, nobody]
        assert Cowboy.order(town=sheraf.ASC) == [peter, george, steven, kid, nobody]
        assert Cowboy.order(town=sheraf.DESC) == [steven, kid, peter, george, nobody]
        assert Cowboy.order(age=sheraf.DESC, name=sheraf.ASC) == [
            george,
            peter,
            steven,
            kid,
            nobody,
        ]
        assert Cowboy.order(size=sheraf.ASC, town=sheraf.DESC) == [
            kid,
            steven,
            george,
            peter,
            nobody,
        ]
        assert Cowboy.filter(town="Tucson").order(age=sheraf.DESC) == [steven, kid]
        assert Cowboy.order(age=sheraf.ASC).order(size=sheraf.DESC) == [
            kid,
            peter,
            steven,
            george,
            nobody,
        ]


def test_invalid_orders(cowboys):
    with sheraf.connection():
        with pytest.raises(sheraf.InvalidOrderException, match="appeared twice"):
            Cowboy.order(age=sheraf.ASC).order(age=sheraf.DESC)
        with pytest.raises(sheraf.InvalidOrderException, match="invalid order value"):
            Cowboy.order(age="up")
        with pytest.raises(sheraf.InvalidOrderException, match="no attribute horse"):
            Cowboy.order(horse=sheraf.ASC)
        with pytest.raises(sheraf.InvalidOrderException, match="Only one"):
            Cowboy.order(sheraf.ASC, sheraf.DESC)


def test_an_indexed_order_and_a_sort_agree(db):
    class Twin(sheraf.IntIndexedNamedAttributesModel):
        table = "queryset_twins"
        indexed = sheraf.StringAttribute().index()
        plain = sheraf.StringAttribute()
        indexed_number = sheraf.IntegerAttribute().index()
        plain_number = sheraf.IntegerAttribute()

    rnd = random.Random(6)
    with sheraf.connection():
        for _ in range(300):
            text = rnd.choice(["", None, "a", "b", "c", "d"])
            number = rnd.choice([None, 0, -3, 4, 7])
            Twin.create(
                indexed=text, plain=text, indexed_number=number, plain_number=number
            )
        for direction in (sheraf.ASC, sheraf.DESC):
            assert ids(Twin.order(indexed=direction)) == ids(
                Twin.order(plain=direction)
            )
            assert ids(Twin.order(indexed_number=direction)) == ids(
                Twin.order(plain_number=direction)
            )
            assert ids(Twin.order(indexed=direction, plain_number=sheraf.DESC)) == ids(
                Twin.order(plain=direction, indexed_number=sheraf.DESC)
            )
            assert ids(Twin.filter(plain_number=4).order(indexed=direction)[:7]) == ids(
                Twin.filter(indexed_number=4).order(plain=direction)[:7]
            )


def test_order_by_another_index(cowboys):
    peter, steven, george, kid, nobody = cowboys
    with sheraf.connection():
        assert Cowboy.all("email") == [george, peter, steven, kid, nobody]
        assert Cowboy.all("email").order(sheraf.DESC) == [
            steven,
            peter,
            george,
            kid,
            nobody,
        ]
        with pytest.raises(sheraf.InvalidIndexException):
            Cowboy.all("horse")


def test_slices(cowboys):
    peter, steven, george, kid, nobody = cowboys
    with sheraf.connection():
        assert Cowboy.all()[1:3] == [steven, george]
        assert Cowboy.all()[3:] == [kid, nobody]
        assert Cowboy.all()[::2] == [peter, george, nobody]
        assert Cowboy.all()[1:4][1:] == [george, kid]
        assert Cowboy.all()[-2:] == [kid, nobody]
        assert Cowboy.order(name=sheraf.ASC)[1] == peter
        assert Cowboy.all()[-1] == nobody
        assert Cowboy.filter(age=30)[1:] == [steven]
        with pytest.raises(IndexError):
            Cowboy.all()[5]


def test_get(cowboys):
    george = cowboys[2]
    with sheraf.connection():
        assert Cowboy.filter(name="George").get() == george
        assert Cowboy.get(email="george@x.com") == george
        with pytest.raises(sheraf.EmptyQuerySetUnpackException):
            Cowboy.filter(name="Nobody").get()
        with pytest.raises(sheraf.TooManyValuesSetUnpackException):
            Cowboy.filter(age=30).get()
        with pytest.raises(sheraf.QuerySetUnpackException):
            Cowboy.get()


def test_count_exists_and_len(cowboys):
    with sheraf.connection():
        assert Cowboy.all().count() == len(Cowboy.all()) == 5
        assert Cowboy.filter(age=30).count() == 2
        assert Cowboy.filter(age=30, town="Dodge").count() == 1
        assert Cowboy.filter(lambda c: c.town == "Tucson").count() == 2
        assert Cowboy.filter(email="nobody").count() == 0
        assert Cowboy.all()[1:3].count() == 2
        assert Cowboy.filter(age=30).exists()
        assert not Cowboy.filter(age=31).exists()
        assert bool(Cowboy.filter(age=30)) and not Cowboy.filter(age=31)


def test_delete_a_query_keeps_indexes_right(cowboys):
    peter, steven, george, kid, nobody = cowboys
    with sheraf.connection(commit=True):
        Cowboy.filter(age=30).delete()
    with sheraf.connection():
        assert Cowboy.all() == [george, kid, nobody]
        assert Cowboy.filter(age=30).count() == 0
        assert Cowboy.order(name=sheraf.ASC) == [george, kid, nobody]
        assert not Cowboy.exists(email="peter@x.com")


def test_queries_follow_edition(cowboys):
    peter, steven, george, kid, nobody = cowboys
    with sheraf.connection():
        peter.age = 50
        kid.name = "Billy"
        assert Cowboy.filter(age=50) == [peter, george]
        assert Cowboy.order(name=sheraf.ASC) == [kid, george, peter, steven, nobody]


def test_combinations(cowboys):
    peter, steven, george, kid, nobody = cowboys
    with sheraf.connection():
        thirty = Cowboy.filter(age=30)
        dodge = Cowboy.filter(town="Dodge")
        assert thirty.copy() | dodge.copy() == [peter, steven, george]
        assert thirty.copy() & dodge.copy() == [peter]
        assert thirty.copy() ^ dodge.copy() == [steven, george]
        assert dodge.copy() + thirty.copy() == [peter, george, steven]
        assert (thirty | dodge).model is Cowboy


def test_querysets_are_lazy_and_consumed(cowboys):
    peter, steven, george, kid, nobody = cowboys
    with sheraf.connection():
        checked = []
        query = Cowboy.filter(lambda c: checked.append(c) or True)
        assert checked == []
        assert next(query) == peter
        assert checked == [peter]
        copy = query.copy()
        assert list(query) == [steven, george, kid, nobody]
        assert list(query) == []
        assert list(copy) == cowboys


def test_querysets_over_instances(cowboys):
    peter, steven, george, kid, nobody = cowboys
    query = sheraf.QuerySet([george, peter, steven])
    with sheraf.connection():
        assert query.copy().filter(age=30) == [peter, steven]
        assert query.copy().search(nickname="x") == []
        assert query.copy().order(name=sheraf.DESC) == [steven, peter, george]
        assert query.copy()[1:] == [peter, steven]
        assert query.copy().count() == 3
    generator = sheraf.QuerySet(c for c in [george, peter])
    assert generator.copy() == [george, peter]
    assert generator == [george, peter]
    with pytest.raises(sheraf.InvalidOrderException):
        sheraf.QuerySet([]).order(sheraf.ASC)


def test_repr(db):
    assert repr(Cowboy.filter(age=30).order(name=sheraf.DESC)) == (
        "<QuerySet model=Cowboy filters=(age=30) orders=(name=DESC)>"
    )


# How much a query reads: records loaded from the storage, counted in a
# connection whose cache was emptied first.


@pytest.fixture
def herd(db):
    rnd = random.Random(3)
    with sheraf.connection(commit=True):
        for i in range(3000):
            Cowboy.create(
                name=f"Cowboy {rnd.randrange(1000):03}",
                age=rnd.randrange(100),
                email=f"cowboy{i}@x.com",
                town=rnd.choice(["Dodge", "Tucson", "Tombstone"]),
                size=rnd.randrange(150, 200),
            )


def loads(query, read=lambda instances: [i.town for i in instances]):
    """What ``read(query)`` gives, and how many objects it loads from the
    storage, in a fresh connection."""
    with sheraf.connection() as connection:
        connection.cacheMinimize()
        connection.getTransferCounts(True)
        result = read(query())
        loaded, _ = connection.getTransferCounts()
    return result, loaded


def test_a_filter_on_an_indexed_attribute_reads_only_what_it_finds(herd):
    found, indexed_loads = loads(lambda: Cowboy.filter(age=42))
    same, scan_loads = loads(lambda: Cowboy.filter(lambda c: c.age == 42))
    assert found == same and 0 < len(found) < 100
    assert indexed_loads < len(found) + 20
    assert scan_loads > 3000


def test_a_filter_on_a_unique_index_reads_one_instance(herd):
    found, loaded = loads(lambda: Cowboy.filter(email="cowboy1234@x.com"))
    assert len(found) == 1
    assert loaded < 10


def test_mixed_filters_read_only_what_the_index_finds(herd):
    found, loaded = loads(lambda: Cowboy.filter(age=42, town="Dodge"))
    candidates, _ = loads(lambda: Cowboy.filter(age=42))
    assert found == [town for town in candidates if town == "Dodge"]
    assert loaded < len(candidates) + 20


def test_an_order_on_an_indexed_attribute_streams_from_the_index(herd):
    (first, loaded) = loads(
        lambda: Cowboy.order(name=sheraf.DESC)[:10], read=lambda q: [c.name for c in q]
    )
    everyone, _ = loads(lambda: Cowboy.all(), read=lambda q: sorted(c.name for c in q))
    assert first == everyone[::-1][:10]
    assert loaded < 60

    (middle, loaded) = loads(
        lambda: Cowboy.order(age=sheraf.ASC)[100:110], read=lambda q: [c.age for c in q]
    )
    assert loaded < 60


def test_an_order_on_a_large_filter_streams_and_a_small_one_sorts(herd):
    towns, _ = loads(lambda: Cowboy.all(), read=lambda q: [(c.town, c.name) for c in q])
    dodge = sorted(name for town, name in towns if town == "Dodge")
    assert len(dodge) >= SIZE_PROBE

    first, loaded = loads(
        lambda: Cowboy.filter(town="Dodge").order(name=sheraf.ASC)[:5],
        read=lambda q: [c.name for c in q],
    )
    assert first == dodge[:5]
    assert loaded < 60

    thirty = loads(
        lambda: Cowboy.filter(age=30), read=lambda q: sorted(c.name for c in q)
    )[0]
    first, loaded = loads(
        lambda: Cowboy.filter(age=30).order(name=sheraf.ASC)[:5],
        read=lambda q: [c.name for c in q],
    )
    assert first == thirty[:5]
    assert loaded < len(thirty) + 20


def test_counting_an_indexed_filter_reads_no_instance(herd):
    count, loaded = loads(lambda: Cowboy.filter(town="Dodge"), read=len)
    indexed_count, indexed_loads = loads(lambda: Cowboy.filter(age=42), read=len)
    everyone, everyone_loads = loads(lambda: Cowboy.all(), read=len)
    dodge, _ = loads(
        lambda: Cowboy.all(), read=lambda q: sum(c.town == "Dodge" for c in q)
    )
    forty_two, _ = loads(
        lambda: Cowboy.all(), read=lambda q: sum(c.age == 42 for c in q)
    )
    assert (count, indexed_count, everyone) == (dodge, forty_two, 3000)
    assert loaded > 3000
    assert indexed_loads < 10
    assert everyone_loads < 5


def test_impossible_values_find_nothing_in_any_plan(cowboys):
    with sheraf.connection():
        assert Cowboy.filter(age="fifty").order(name=sheraf.ASC) == []
        assert Cowboy.filter(age="fifty", name="George").count() == 0
        assert Cowboy.all("email").filter(size="big").order(sheraf.DESC) == []
        assert Cowboy.filter(email=["not", "hashable"]).count() == 0
