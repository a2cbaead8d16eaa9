"""The home-care world of tests/visits serves the service-list tests too."""

from tests.visits.conftest import care

__all__ = ["care"]
