"""A run's unassigned reasons and notes are stored as codes and worded at display time, in the
reader's language; rows stored as sentences before the codes stay readable."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from tests.conftest import login
from tests.scheduling.conftest import Day
from tests.scheduling.test_pages import done_run, four_visits, page, url
from tests.visits.conftest import Care, care  # noqa: F401 - the fixture
from yiyang.scheduling import wording
from yiyang.scheduling.api.serializers import worded_proposal
from yiyang.scheduling.models import PlanRun


def test_a_stored_reason_is_worded_in_the_active_language() -> None:
    stored = wording.reason(
        wording.WINDOW_TOO_SHORT, {"start": 540, "end": 570, "window": 30, "duration": 60}
    )
    with translation.override("en"):
        english = wording.reason_text(stored)
    with translation.override("zh-hans"):
        chinese = wording.reason_text(stored)
    assert "09:00-09:30" in english
    assert "shorter than the service" in english
    assert "09:00-09:30" in chinese
    assert chinese != english
    assert "shorter" not in chinese


@pytest.mark.parametrize("code", sorted(wording.REASONS))
def test_every_reason_code_has_words_in_both_languages(code: str) -> None:
    params: dict[str, Any] = {"needs": ["wound_care"]} if code == wording.NO_SKILL else {}
    with translation.override("en"):
        english = wording.reason_text(wording.reason(code, params))
    with translation.override("zh-hans"):
        chinese = wording.reason_text(wording.reason(code, params))
    assert english
    assert chinese
    assert chinese != english


def test_notes_name_the_caregiver_at_display_time() -> None:
    stored = wording.note(wording.NOTE_NOT_WORKING, caregiver="c-1")
    assert "Wang" not in str(stored)  # ids, never names
    with translation.override("en"):
        assert wording.note_text(stored, {"c-1": "Wang"}.get) == "Wang does not work that day."
        assert wording.note_text(stored) == "A caregiver does not work that day."
    with translation.override("zh-hans"):
        assert "Wang" in wording.note_text(stored, {"c-1": "Wang"}.get)
        assert "does not work" not in wording.note_text(stored, {"c-1": "Wang"}.get)


def test_rows_stored_as_sentences_before_the_codes_stay_readable() -> None:
    old_note = "王芳 does not work that day."
    assert wording.note_text(old_note) == old_note
    # a known code is worded anew (in the reader's language), an unknown one keeps its text
    with translation.override("en"):
        known = wording.reason_text({"code": "double_booked", "message": "旧的说明"})
    assert "overlapping window" in known
    assert wording.reason_text({"code": "gone_code", "message": "旧的说明"}) == "旧的说明"
    assert wording.reason_text(None) == ""


def test_the_solver_s_english_notes_become_codes() -> None:
    coded = wording.solver_notes(
        [
            "caregiver 7 has no shift (end <= start); not planned",
            "travel service http://osrm failed for car (URLError: x); used great-circle",
        ]
    )
    assert coded == [wording.note(wording.NOTE_TRAVEL_FALLBACK)]


def test_the_api_words_the_codes_and_old_rows_alike() -> None:
    proposal = {
        "visits": [
            {"id": "v1", "unassigned": wording.reason(wording.DOUBLE_BOOKED)},
            {"id": "v2", "unassigned": None},
        ],
        "unassigned": [{"visit": "v1", **wording.reason(wording.DOUBLE_BOOKED)}],
        "notes": [wording.note(wording.NOTE_NO_HOME, caregiver="c-1"), "an old sentence"],
    }
    with translation.override("zh-hans"):
        worded = worded_proposal(proposal)
    assert worded["visits"][0]["unassigned"]["message"]
    assert "overlapping" not in worded["visits"][0]["unassigned"]["message"]
    assert worded["visits"][1]["unassigned"] is None
    assert worded["unassigned"][0]["message"] == worded["visits"][0]["unassigned"]["message"]
    assert worded["notes"][0]["code"] == wording.NOTE_NO_HOME
    assert worded["notes"][1] == {"code": "", "params": {}, "text": "an old sentence"}
    assert proposal["notes"][1] == "an old sentence"  # the stored row is not changed


@pytest.mark.django_db
def test_the_plan_page_words_new_and_old_rows_in_the_reader_s_language(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    four_visits(day)
    run = done_run(care, django_capture_on_commit_callbacks)
    proposal = dict(run.proposal)
    vid = proposal["visits"][0]["id"]
    proposal["unassigned"] = [{"visit": vid, **wording.reason(wording.DOUBLE_BOOKED)}]
    proposal["notes"] = [
        wording.note(wording.NOTE_NOT_WORKING, caregiver=proposal["caregivers"][0]["id"]),
        "a sentence stored before the codes",
    ]
    PlanRun.objects.filter(pk=run.pk).update(proposal=proposal)
    client = login(Client(), care.manager)
    client.cookies["django_language"] = "zh-hans"
    html = page(client, url(run))
    assert "a sentence stored before the codes" in html
    assert "does not work that day" not in html
    assert "overlapping window" not in html
    with translation.override("zh-hans"):
        assert wording.reason_text(wording.reason(wording.DOUBLE_BOOKED)) in html
    client.cookies["django_language"] = "en"
    html = page(client, url(run))
    assert "does not work that day." in html
    assert "overlapping window" in html
