from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from tests.visits.conftest import Care
from yiyang.visits.models import Visit

pytestmark = pytest.mark.django_db


def test_watch_visits_once_marks_late_and_scans(care: Care) -> None:
    visit = care.now_window(care.assigned("JW03"), opened_minutes_ago=20)
    out = io.StringIO()
    call_command("watch-visits", "--once", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["late"], result["missed"]) == (1, 0)
    assert result["scan"]["scanned"] == 0
    assert Visit.objects.get(pk=visit.pk).is_late
