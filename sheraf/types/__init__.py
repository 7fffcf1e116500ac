"""The persistent structures sheraf stores models in.

Their ``__module__`` is this package, whatever file defines them, so that
the records they pickle keep loading when the code moves.
"""

import BTrees.OOBTree
import persistent.list

from sheraf.types.smalldict import SmallDict

SmallList = persistent.list.PersistentList
List = SmallList
Set = BTrees.OOBTree.OOTreeSet

SmallDict.__module__ = __name__

__all__ = ["List", "Set", "SmallDict", "SmallList"]
