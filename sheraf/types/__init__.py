"""The persistent structures sheraf stores models in.

Their ``__module__`` is this package, whatever file defines them, so that
the records they pickle keep loading when the code moves; a counter's is
``sheraf.types.counter``, the one place where sheraf 0.6 finds it. Records written
by sheraf 0.6 name some of them by their module
(``sheraf.types.largedict.LargeDict``...): those modules stay.
"""

import BTrees.OOBTree
import persistent.list

from sheraf.types.counter import Counter
from sheraf.types.largedict import LargeDict
from sheraf.types.largelist import LargeList
from sheraf.types.smalldict import SmallDict

SmallList = persistent.list.PersistentList
List = SmallList
Set = BTrees.OOBTree.OOTreeSet

for _persisted in (LargeDict, LargeList, SmallDict):
    _persisted.__module__ = __name__
del _persisted
# sheraf 0.6 finds its counters in sheraf.types.counter only: records keep
# naming them there, so that a database stays readable after a rollback.
Counter.__module__ = "sheraf.types.counter"

__all__ = ["Counter", "LargeDict", "LargeList", "List", "Set", "SmallDict", "SmallList"]
