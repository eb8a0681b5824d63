"""The settings the tests run with: the application's own, in development (no secret key needed)."""

import os

os.environ.setdefault("DANGBO_ENV", "development")

from dangbo.settings import *  # noqa: E402, F403

# The forms' names are read once for the whole run (their cache would otherwise expire every real
# minute, adding a query to whichever page's count is being measured then).
FORM_NAMES_SECONDS = 10**9
