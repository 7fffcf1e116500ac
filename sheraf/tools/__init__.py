"""Small helpers that sheraf uses and that its users may use too:
:mod:`sheraf.tools.dicttools` merges concurrent changes of a dictionary,
:mod:`sheraf.tools.more_itertools` holds iteration recipes."""
