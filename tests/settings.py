"""The settings the tests run with: the application's own, in development (no secret key needed)."""

import os

os.environ.setdefault("DANGBO_ENV", "development")

from dangbo.settings import *  # noqa: E402, F403
