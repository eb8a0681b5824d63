"""What the tree tells the apps above it. The tree knows no people: the apps that place records in
units (members and their tallies) listen here, connected in their AppConfig.ready().

Both signals are sent inside the transaction of the change (send, not on_commit): what a receiver
writes or refuses commits or rolls back with the tree.
"""

from django.dispatch import Signal

# Sent by every change of the tree (found_unit, change_unit, dissolve_unit) once it is written, with
# `units`: the ids of the units changed. Receivers rewrite what they derive from the tree (the
# subtree tallies of every unit those units ever stood under).
tree_changed = Signal()

# Sent before a unit is dissolved, with `unit` and `on`, the day it ends. Each receiver answers None,
# or a Vietnamese message refusing the dissolution because it still holds records in the unit from
# `on` onwards; the first refusal is raised.
unit_dissolving = Signal()
