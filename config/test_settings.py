"""Settings for the test suite: the one settings module in test mode."""

import os

os.environ.setdefault("YIYANG_MODE", "test")

from config.settings import *  # noqa: F403
