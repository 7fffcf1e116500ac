"""List, set and dictionary attributes."""

import pytest

import sheraf


class Horse(sheraf.InlineModel):
    name = sheraf.StringAttribute()
    size = sheraf.IntegerAttribute()


class Cowboy(sheraf.Model):
    table = "collections_test_cowboys"
    name = sheraf.StringAttribute()
    small_numbers = sheraf.SmallListAttribute(sheraf.IntegerAttribute())
    large_numbers = sheraf.LargeListAttribute(sheraf.IntegerAttribute())
    anything = sheraf.ListAttribute()
    colors = sheraf.SetAttribute(sheraf.StringAttribute())
    small_breeds = sheraf.SmallDictAttribute(sheraf.StringAttribute())
    large_breeds = sheraf.LargeDictAttribute(sheraf.StringAttribute())
    horses = sheraf.LargeDictAttribute(sheraf.InlineModelAttribute(Horse))
    dice = sheraf.DictAttribute(sheraf.SmallListAttribute(sheraf.IntegerAttribute()))
    stables = sheraf.ListAttribute(sheraf.SetAttribute(sheraf.StringAttribute()))


class IndexedCowboy(sheraf.Model):
    table = "collections_test_indexed_cowboys"
    colors = sheraf.SetAttribute(sheraf.StringAttribute()).index()
    numbers = sheraf.LargeListAttribute(sheraf.IntegerAttribute()).index()
    breeds = sheraf.SmallDictAttribute(sheraf.StringAttribute()).index()


LISTS = ["small_numbers", "large_numbers"]
DICTS = ["small_breeds", "large_breeds"]


@pytest.mark.parametrize("name", LISTS)
def test_a_list_attribute_behaves_like_a_list(db, name):
    with sheraf.connection(commit=True):
        cowboy = Cowboy.create(**{name: [1, 2, "3"]})
        numbers = getattr(cowboy, name)
        assert numbers == [1, 2, 3] and len(numbers) == 3 and numbers
        numbers.append(4)
        numbers.extend([5, 6.0])
        numbers.insert(0, 0)
        numbers[1] = 10
        del numbers[2]
        assert numbers.pop() == 6 and numbers.pop(0) == 0
        numbers.remove(4)
        assert list(numbers) == [10, 3, 5]
        assert numbers[0] == 10 and numbers[-1] == 5 and numbers[0:2] == [10, 3]
        assert (
            3 in numbers
            and 4 not in numbers
            and numbers.index(5) == 2
            and numbers.count(3) == 1
        )
        assert numbers + [1] == [10, 3, 5, 1] and [1] + numbers == [1, 10, 3, 5]
        assert repr(numbers) == "[10, 3, 5]" and list(reversed(numbers)) == [5, 3, 10]
        numbers += [7]
    with sheraf.connection(commit=True):
        numbers = getattr(Cowboy.read(cowboy.id), name)
        assert numbers == [10, 3, 5, 7]
        numbers.clear()
    with sheraf.connection():
        assert getattr(Cowboy.read(cowboy.id), name) == []


def test_a_list_without_item_attribute_stores_items_as_given(db):
    with sheraf.connection():
        cowboy = Cowboy.create(anything=[1, "two", (3,)])
        assert cowboy.anything == [1, "two", (3,)]
        assert isinstance(cowboy.mapping["anything"], sheraf.types.SmallList)


def test_collections_read_empty_until_they_are_given_values(db):
    with sheraf.connection():
        cowboy = Cowboy.create(small_numbers=None)
        assert cowboy.small_numbers == [] and cowboy.large_numbers == []
        assert (
            cowboy.colors == set() and cowboy.small_breeds == {} and cowboy.horses == {}
        )
        assert not cowboy.large_numbers
        assert isinstance(cowboy.mapping["large_numbers"], sheraf.types.LargeList)
        assert isinstance(cowboy.mapping["colors"], sheraf.types.Set)
        assert cowboy.large_breeds == {}
        assert isinstance(cowboy.mapping["large_breeds"], sheraf.types.LargeDict)


@pytest.mark.parametrize(
    "values, error, message",
    [
        (
            {"large_numbers": [1, "x"]},
            ValueError,
            "Cowboy.large_numbers (LargeListAttribute) cannot hold [1, 'x']: at index 1, 'x': not an integer",
        ),
        (
            {"small_numbers": "123"},
            TypeError,
            "a collection of items is needed, not str",
        ),
        (
            {"small_numbers": {"a": 1}},
            TypeError,
            "a collection of items is needed, not dict",
        ),
        ({"small_numbers": 12}, TypeError, "a collection of items is needed, not int"),
        ({"colors": {"red", (1,)}}, TypeError, "Cowboy.colors (SetAttribute)"),
        ({"small_breeds": ["a"]}, TypeError, "a mapping is needed, not list"),
        ({"large_breeds": {"jolly": object}}, TypeError, "at key 'jolly'"),
        (
            {"dice": {"monday": [1, "six"]}},
            ValueError,
            "at key 'monday', [1, 'six']: at index 1, 'six': not an integer",
        ),
        (
            {"horses": {"jolly": {"size": "big"}}},
            ValueError,
            "Horse.size (IntegerAttribute) cannot hold 'big'",
        ),
        (
            {"horses": {"jolly": {"weight": 3}}},
            TypeError,
            "Horse has no attribute(s) 'weight'",
        ),
    ],
)
def test_bad_items_are_refused_and_nothing_is_written(db, values, error, message):
    with sheraf.connection(commit=True):
        with pytest.raises(error) as info:
            Cowboy.create(name="Bad", **values)
        assert message in str(info.value)
        assert Cowboy.count() == 0
        Cowboy.create(name="Good")
    with sheraf.connection():
        assert [cowboy.name for cowboy in Cowboy.all()] == ["Good"]


def test_bad_items_given_to_a_view_name_the_model_and_the_attribute(db):
    with sheraf.connection(commit=True):
        cowboy = Cowboy.create(
            large_numbers=[1], small_breeds={"a": "b"}, colors={"red"}
        )
        with pytest.raises(
            ValueError,
            match=r"Cowboy.large_numbers \(LargeListAttribute\) cannot hold 'x': not an integer",
        ):
            cowboy.large_numbers.append("x")
        with pytest.raises(ValueError, match="cannot hold 'y'"):
            cowboy.large_numbers.extend([2, "y"])
        with pytest.raises(
            TypeError,
            match=r"Cowboy.small_breeds \(SmallDictAttribute\) cannot hold \[3\]",
        ):
            cowboy.small_breeds["c"] = [3]
        with pytest.raises(TypeError, match=r"Cowboy.colors \(SetAttribute\)"):
            cowboy.colors.add([])
    with sheraf.connection():
        cowboy = Cowboy.read(cowboy.id)
        assert (
            cowboy.large_numbers == [1]
            and cowboy.small_breeds == {"a": "b"}
            and cowboy.colors == {"red"}
        )


def test_a_set_attribute_behaves_like_a_set(db):
    with sheraf.connection(commit=True):
        cowboy = Cowboy.create(colors=["red", "green", "red"])
        colors = cowboy.colors
        assert colors == {"red", "green"} and len(colors) == 2
        colors.add("blue")
        colors.add("blue")
        colors.discard("green")
        colors.discard("purple")
        colors.remove("red")
        with pytest.raises(KeyError):
            colors.remove("red")
        assert "blue" in colors and "red" not in colors and 42 not in colors
        assert colors | {"a"} == {"a", "blue"} and colors & {"blue", "b"} == {"blue"}
        assert {"blue", "c"} - colors == {"c"} and colors ^ {"blue", "d"} == {"d"}
        assert isinstance(colors | {"a"}, set) and repr(colors) == "{'blue'}"
        colors |= {"white"}
    with sheraf.connection(commit=True):
        colors = Cowboy.read(cowboy.id).colors
        assert sorted(colors) == ["blue", "white"]
        colors.clear()
    with sheraf.connection():
        assert Cowboy.read(cowboy.id).colors == set()


@pytest.mark.parametrize("name", DICTS)
def test_a_dict_attribute_behaves_like_a_dict(db, name):
    with sheraf.connection(commit=True):
        cowboy = Cowboy.create(**{name: {"jolly": "mustang"}})
        breeds = getattr(cowboy, name)
        breeds["polly"] = "shetland"
        breeds.update({"lucky": "arabian"}, rocky="pony")
        assert breeds.setdefault("jolly", "other") == "mustang"
        assert breeds.pop("rocky") == "pony" and breeds.pop("nope", None) is None
        del breeds["lucky"]
        with pytest.raises(KeyError):
            del breeds["lucky"]
        with pytest.raises(KeyError):
            breeds["lucky"]
        assert breeds == {"jolly": "mustang", "polly": "shetland"}
        assert sorted(breeds) == ["jolly", "polly"] and len(breeds) == 2
        assert sorted(breeds.keys()) == ["jolly", "polly"]
        assert sorted(breeds.values()) == ["mustang", "shetland"]
        assert sorted(breeds.items()) == [("jolly", "mustang"), ("polly", "shetland")]
        assert breeds.get("jolly") == "mustang" and breeds.get("nope", 1) == 1
        assert "jolly" in breeds and "nope" not in breeds and 3 not in breeds
    with sheraf.connection(commit=True):
        breeds = getattr(Cowboy.read(cowboy.id), name)
        assert dict(breeds) == {"jolly": "mustang", "polly": "shetland"}
        breeds.clear()
    with sheraf.connection():
        assert getattr(Cowboy.read(cowboy.id), name) == {}


def test_a_large_dict_attribute_reads_ranges_of_keys(db):
    with sheraf.connection():
        breeds = Cowboy.create(
            large_breeds={"c": "3", "a": "1", "b": "2", "d": "4"}
        ).large_breeds
        assert list(breeds["b":"c"]) == ["2", "3"]
        assert list(breeds[::-1]) == ["4", "3", "2", "1"]
        assert list(breeds.keys(min="b", max="c")) == ["b", "c"]
        assert list(breeds.items("c")) == [("c", "3"), ("d", "4")]
        assert list(breeds.values(max="a")) == ["1"]


def test_nested_collections(db):
    with sheraf.connection(commit=True):
        cowboy = Cowboy.create(
            dice={"monday": [2, 6, "4"]}, stables=[{"a", "b"}, set()]
        )
        cowboy.dice["tuesday"] = (1, 1)
        cowboy.dice["monday"].append(3)
        cowboy.stables[1].add("c")
        with pytest.raises(ValueError, match="SmallListAttribute cannot hold 'x'"):
            cowboy.dice["monday"].append("x")
    with sheraf.connection():
        cowboy = Cowboy.read(cowboy.id)
        assert cowboy.dice == {"monday": [2, 6, 4, 3], "tuesday": [1, 1]}
        assert cowboy.dice["monday"][1] == 6
        assert cowboy.stables == [{"a", "b"}, {"c"}]


def test_a_dict_of_inline_models(db):
    with sheraf.connection(commit=True):
        cowboy = Cowboy.create(horses={"jolly": {"name": "Jolly Jumper", "size": 32}})
        cowboy.horses["polly"] = Horse.create(name="Polly Pumper")
        cowboy.horses["jolly"].size = 33
    with sheraf.connection():
        horses = Cowboy.read(cowboy.id).horses
        assert [(key, horse.name, horse.size) for key, horse in horses.items()] == [
            ("jolly", "Jolly Jumper", 33),
            ("polly", "Polly Pumper", 0),
        ]


def test_assigning_a_collection_stores_a_copy(db):
    with sheraf.connection():
        george = Cowboy.create(
            large_numbers=[1, 2], small_breeds={"a": "b"}, horses={"j": {"name": "J"}}
        )
        peter = Cowboy.create(
            large_numbers=george.large_numbers,
            small_breeds=george.small_breeds,
            horses=george.horses,
        )
        peter.large_numbers.append(3)
        peter.small_breeds["c"] = "d"
        peter.horses["j"].name = "Peter's"
        assert george.large_numbers == [1, 2] and george.small_breeds == {"a": "b"}
        assert george.horses["j"].name == "J"


def test_edit_merges_collections(db):
    with sheraf.connection():
        cowboy = Cowboy.create(
            small_numbers=[1, 2, 3],
            colors={"red", "green"},
            small_breeds={"a": "1", "b": "2"},
            horses={"jolly": {"name": "Jolly", "size": 30}},
        )
        cowboy.update(
            small_numbers=[9, 2],
            colors={"blue"},
            small_breeds={"b": "two", "c": "3"},
            horses={"jolly": {"size": 31}, "polly": {"name": "Polly"}},
        )
        assert cowboy.small_numbers == [9, 2, 3] and cowboy.colors == {
            "red",
            "green",
            "blue",
        }
        assert cowboy.small_breeds == {"a": "1", "b": "two", "c": "3"}
        assert (cowboy.horses["jolly"].name, cowboy.horses["jolly"].size) == (
            "Jolly",
            31,
        )

        cowboy.assign(
            small_numbers=[1],
            colors={"blue"},
            small_breeds={"c": "3"},
            horses={"polly": {}},
        )
        assert cowboy.small_numbers == [1] and cowboy.colors == {"blue"}
        assert cowboy.small_breeds == {"c": "3"} and list(cowboy.horses) == ["polly"]

        cowboy.edit(
            {"small_numbers": [5, 6], "small_breeds": {"c": "x", "d": "4"}},
            addition=False,
        )
        assert cowboy.small_numbers == [5] and cowboy.small_breeds == {"c": "x"}
        cowboy.edit(
            {"small_numbers": [7, 8], "small_breeds": {"c": "y"}}, edition=False
        )
        assert cowboy.small_numbers == [5, 8] and cowboy.small_breeds == {"c": "x"}


def test_edit_with_a_bad_item_writes_nothing(db):
    with sheraf.connection(commit=True):
        cowboy = Cowboy.create(
            name="George", small_numbers=[1], small_breeds={"a": "b"}
        )
        with pytest.raises(ValueError, match="not an integer"):
            cowboy.update(name="Peter", small_breeds={"c": "d"}, small_numbers=[1, "x"])
        assert cowboy.name == "George" and cowboy.small_breeds == {"a": "b"}
    with sheraf.connection():
        cowboy = Cowboy.read(cowboy.id)
        assert (cowboy.name, cowboy.small_numbers, cowboy.small_breeds) == (
            "George",
            [1],
            {"a": "b"},
        )


def test_indexes_of_collections_follow_their_changes(db):
    with sheraf.connection(commit=True):
        cowboy = IndexedCowboy.create(
            colors={"red"}, numbers=[1, 2], breeds={"jolly": "mustang"}
        )
        assert IndexedCowboy.search(colors="red").get() == cowboy
        assert IndexedCowboy.search(numbers=2).get() == cowboy
        assert IndexedCowboy.search(breeds="jolly").get() == cowboy
        cowboy.colors.add("blue")
        cowboy.colors.discard("red")
        cowboy.numbers.append(3)
        cowboy.numbers.remove(1)
        cowboy.breeds["polly"] = "shetland"
        del cowboy.breeds["jolly"]
    with sheraf.connection():
        assert IndexedCowboy.search(colors="blue").get() == cowboy
        assert not IndexedCowboy.search(colors="red")
        assert IndexedCowboy.search(numbers=3).get() == cowboy
        assert not IndexedCowboy.search(numbers=1)
        assert IndexedCowboy.search(breeds="polly").get() == cowboy
        assert not IndexedCowboy.search(breeds="jolly")
        cowboy = IndexedCowboy.read(cowboy.id)
        assert cowboy.numbers == [2, 3] and cowboy.colors == {"blue"}


@pytest.mark.parametrize(
    "name, converted",
    [("anything", ["5"]), ("small_numbers", []), ("large_numbers", [])],
)
def test_lists_append_unique_items_and_remove_all_of_one(db, name, converted):
    # Integer items convert "5" to 5, which is there already.
    with sheraf.connection(commit=True):
        cowboy = Cowboy.create(**{name: [1, 2, 2, 3]})
        numbers = getattr(cowboy, name)
        numbers.append(2, unique=True)
        numbers.append(4, unique=True)
        numbers.extend([4, 5, "5", 6, 6], unique=True)
        assert list(numbers) == [1, 2, 2, 3, 4, 5, *converted, 6]
        numbers.remove(2, all=True)
        numbers.remove(6)
        with pytest.raises(ValueError):
            numbers.remove(9, all=True)
    with sheraf.connection():
        assert list(getattr(Cowboy.read(cowboy.id), name)) == [1, 3, 4, 5, *converted]


def test_a_large_list_appends_unique_items_and_removes_all_of_one():
    numbers = sheraf.types.LargeList([1, 2, 2, 3])
    numbers.append(3, unique=True)
    numbers.extend([3, 4, 4], unique=True)
    assert numbers == [1, 2, 2, 3, 4]
    numbers.remove(2, all=True)
    assert numbers == [1, 3, 4] and len(numbers) == 3
    with pytest.raises(ValueError):
        numbers.remove(2, all=True)


def test_sets_offer_the_methods_of_tree_sets(db):
    class Sheriff(sheraf.Model):
        table = "collections_test_sheriffs"
        numbers = sheraf.SetAttribute(sheraf.IntegerAttribute())

    with sheraf.connection(commit=True):
        sheriff = Sheriff.create(numbers={5, 1, 9})
        numbers = sheriff.numbers
        assert numbers.insert(3) == 1 and numbers.insert("3") == 0
        assert numbers.update([1, 10, "11"]) == 2
        assert numbers.has_key(10) and not numbers.has_key(4)
        assert (numbers.minKey(), numbers.maxKey()) == (1, 11)
        assert (numbers.minKey(4), numbers.maxKey("8")) == (5, 5)
        assert numbers.keys(3, 9) == [3, 5, 9]
        assert numbers.keys(3, 9, excludemin=True, excludemax=True) == [5]
    with sheraf.connection():
        assert sorted(Sheriff.read(sheriff.id).numbers) == [1, 3, 5, 9, 10, 11]


@pytest.mark.parametrize("name", DICTS)
def test_dicts_give_their_smallest_and_largest_keys(db, name):
    with sheraf.connection():
        breeds = getattr(Cowboy.create(**{name: {"c": "x", "a": "y", "e": "z"}}), name)
        assert (breeds.minKey(), breeds.maxKey()) == ("a", "e")
        assert (breeds.minKey("b"), breeds.maxKey("d")) == ("c", "c")


def test_a_large_dict_reads_between_bounds_and_offers_its_own_methods(db):
    with sheraf.connection():
        breeds = Cowboy.create(large_breeds={"a": "x", "c": "y", "e": "z"}).large_breeds
        assert list(breeds.keys("b", "e")) == ["c", "e"]
        assert list(breeds.values("b")) == ["y", "z"]
        assert list(breeds.items(max="c")) == [("a", "x"), ("c", "y")]
        assert breeds.has_key("c") and not breeds.has_key("b")
        with pytest.raises(AttributeError, match="have no attribute 'missing'"):
            breeds.missing


def test_the_methods_of_tree_sets_follow_indexes(db):
    with sheraf.connection(commit=True):
        cowboy = IndexedCowboy.create(colors={"red"}, numbers=[1])
        assert cowboy.colors.insert("blue") == 1
        cowboy.numbers.append(2, unique=True)
    with sheraf.connection():
        assert IndexedCowboy.search(colors="blue").get() == cowboy
        assert IndexedCowboy.search(numbers=2).get() == cowboy


class SortedListView(sheraf.attributes.collections.ListAttributeAccessor):
    """An accessor of one's own, as sheraf 0.6 let users give one."""

    __slots__ = ()

    def __iter__(self):
        return iter(sorted(self._attribute.deserialize(raw) for raw in self.mapping))


def test_a_collection_reads_with_the_accessor_it_is_given(db):
    class Sheriff(sheraf.Model):
        table = "collections_test_accessor_sheriffs"
        numbers = sheraf.SmallListAttribute(
            sheraf.IntegerAttribute(), accessor_type=SortedListView
        )

    with sheraf.connection():
        sheriff = Sheriff.create(numbers=[3, 1, 2])
        assert isinstance(sheriff.numbers, SortedListView)
        assert list(sheriff.numbers) == [1, 2, 3] and sheriff.numbers[0] == 3
    with pytest.raises(TypeError, match="accessor_type must be a subclass of DictView"):
        sheraf.DictAttribute(accessor_type=SortedListView)


def test_a_list_attribute_takes_a_persistent_list(db):
    with sheraf.connection():
        cowboy = Cowboy.create(large_numbers=sheraf.types.LargeList([1, 2]))
        cowboy.small_numbers = sheraf.types.SmallList([3])
        assert cowboy.large_numbers == [1, 2] and cowboy.small_numbers == [3]
        with pytest.raises(TypeError, match="a collection of items is needed"):
            cowboy.small_numbers = sheraf.types.LargeDict({1: 2})


class Mount(sheraf.IntOrderedNamedAttributesModel):
    table = "collections_test_mounts"


class Stable(sheraf.Model):
    table = "collections_test_stables"
    mounts = sheraf.SetAttribute(sheraf.ModelAttribute(Mount))


def test_assigning_a_set_of_models_by_instances_or_identifiers(db):
    with sheraf.connection():
        jolly, polly, dolly = (Mount.create() for _ in range(3))
        stable = Stable.create(mounts={jolly})
        stable.assign(mounts=[jolly, polly])
        assert set(stable.mounts) == {jolly, polly}
        stable.assign(mounts=[jolly.id, polly.id, dolly.id])
        assert set(stable.mounts) == {jolly, polly, dolly}
        stable.assign(mounts=[dolly])
        assert set(stable.mounts) == {dolly}
