"""The demo's two days: the reference report's, whose figures the demo reproduces, and the day its
history runs up to when none is given to the builder."""

import datetime

REFERENCE_DAY = datetime.date(2024, 9, 30)
# The suite pins its clock to this day, so every test reads the same demo whatever the date.
# `load_demo` builds up to the day it is run, so a demo loaded later still has meetings planned
# ahead, tasks due soon and reminders of the day.
HORIZON = datetime.date(2026, 11, 27)
