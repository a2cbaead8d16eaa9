from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The age pyramid is cached by division code; every test's world reuses the codes."""
    cache.clear()
    yield
    cache.clear()
