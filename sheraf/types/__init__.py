"""The persistent structures sheraf stores models in.

Their ``__module__`` is this package, whatever file defines them, so that
the records they pickle keep loading when the code moves. Records written
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

for _persisted in (Counter, LargeDict, LargeList, SmallDict):
    _persisted.__module__ = __name__
del _persisted

__all__ = ["Counter", "LargeDict", "LargeList", "List", "Set", "SmallDict", "SmallList"]
