"""Visit services, part two: who may act on a visit, bad locations and clocks, photos,
late and unwell visits, the nightly scan, family ratings and confirmation."""

from __future__ import annotations

import datetime
import io
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from PIL import Image

from tests.factories import UserFactory
from tests.visits.conftest import Care, fix
from tests.visits.test_services import checked_in, flag_codes, metres_north, refusal_codes
from yiyang.core.permissions import Role
from yiyang.elders.models import Consent
from yiyang.visits import selectors, services
from yiyang.visits.choices import ReviewStatus, VisitStatus
from yiyang.visits.models import Visit, VisitEvent, VisitRating

pytestmark = pytest.mark.django_db


def test_only_the_assigned_caregiver_checks_in(care: Care) -> None:
    visit = care.now_window(care.assigned("JW03", "li"))
    with pytest.raises(PermissionDenied):
        services.visit_check_in(actor=care.caregiver_user, visit=visit, fix=fix())
    with pytest.raises(PermissionDenied):
        services.visit_check_in(actor=care.manager, visit=visit, fix=fix())


def test_check_in_twice_after_check_out_or_when_cancelled_is_refused(care: Care) -> None:
    visit = checked_in(care)
    with pytest.raises(ValidationError, match="Already checked in"):
        services.visit_check_in(actor=care.caregiver_user, visit=visit, fix=fix())
    visit = services.visit_check_out(
        actor=care.caregiver_user,
        visit=visit,
        fix=fix(at=visit.check_in_at + datetime.timedelta(minutes=30)),
    )
    with pytest.raises(ValidationError):
        services.visit_check_in(actor=care.caregiver_user, visit=visit, fix=fix())
    cancelled = care.now_window(care.assigned("ZY01"))
    services.visit_cancel(actor=care.manager, visit=cancelled, reason="老人住院")
    with pytest.raises(ValidationError, match="cancelled"):
        services.visit_check_in(actor=care.caregiver_user, visit=cancelled, fix=fix())


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"lat": None, "lng": None}, "latitude"),
        ({"lat": 0.0, "lng": 0.0}, "latitude"),
        ({"accuracy": 5000}, "accuracy"),
        ({"accuracy": None}, "accuracy"),
        ({"lat": 91.0}, "latitude"),
    ],
)
def test_unusable_locations_are_refused_and_nothing_is_recorded(
    care: Care, values: dict, field: str
) -> None:
    visit = care.now_window(care.assigned("JW03"))
    base = {"lat": 34.75, "lng": 113.65, "accuracy": 10.0}
    base.update(values)
    with pytest.raises(ValidationError) as error:
        services.visit_check_in(
            actor=care.caregiver_user,
            visit=visit,
            fix=services.Fix(base["lat"], base["lng"], base["accuracy"]),
        )
    assert field in error.value.message_dict
    visit.refresh_from_db()
    assert visit.check_in_at is None and visit.status == VisitStatus.ASSIGNED
    assert not VisitEvent.objects.filter(visit=visit, kind="check_in").exists()


def test_an_offline_action_keeps_its_time_and_a_resend_is_applied_once(care: Care) -> None:
    visit = care.now_window(care.assigned("JW03"), opened_minutes_ago=40)
    tapped = timezone.now() - datetime.timedelta(minutes=30)
    action = uuid.uuid4()
    queued = fix(at=tapped, sent_at=timezone.now(), client_action_id=action)
    visit = services.visit_check_in(actor=care.caregiver_user, visit=visit, fix=queued)
    assert visit.check_in_at == tapped
    again = services.visit_check_in(actor=care.caregiver_user, visit=visit, fix=queued)
    assert again.check_in_at == tapped
    assert VisitEvent.objects.filter(visit=visit, kind="check_in").count() == 1


@pytest.mark.parametrize(
    ("at", "sent_at", "field"),
    [
        (None, "3h_behind", "sent_at"),
        ("in_an_hour", None, "at"),
        ("a_week_ago", None, "at"),
    ],
)
def test_clock_skew_and_impossible_times_are_refused(care: Care, at, sent_at, field) -> None:
    visit = care.now_window(care.assigned("JW03"))
    now = timezone.now()
    times = {
        "3h_behind": now - datetime.timedelta(hours=3),
        "in_an_hour": now + datetime.timedelta(hours=1),
        "a_week_ago": now - datetime.timedelta(days=7),
        None: None,
    }
    with pytest.raises(ValidationError) as error:
        services.visit_check_in(
            actor=care.caregiver_user, visit=visit, fix=fix(at=times[at], sent_at=times[sent_at])
        )
    assert field in error.value.message_dict
    assert Visit.objects.get(pk=visit.pk).check_in_at is None


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


def test_photos_must_be_images_under_the_limit(care: Care, settings) -> None:
    visit = checked_in(care)
    photo = services.visit_photo_add(actor=care.caregiver_user, visit=visit, data=png())
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 40, 30)
    with pytest.raises(ValidationError, match="not a JPEG"):
        services.visit_photo_add(
            actor=care.caregiver_user, visit=visit, data=b"%PDF-1.4 not an image"
        )
    settings.VISIT_PHOTO_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="at most"):
        services.visit_photo_add(actor=care.caregiver_user, visit=visit, data=png((400, 400)))
    assert visit.photos.count() == 1


def test_unwell_raises_an_alert_for_the_call_centre_after_commit(
    care: Care, django_capture_on_commit_callbacks
) -> None:
    from yiyang.alerts.models import Alert

    visit = checked_in(care)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError):
            services.visit_check_out(
                actor=care.caregiver_user, visit=visit, fix=fix(), outcome="unwell"
            )
        visit = services.visit_check_out(
            actor=care.caregiver_user, visit=visit, fix=fix(), outcome="unwell", notes="发烧 39 度"
        )
    alert = Alert.objects.get()
    assert (alert.elder, alert.kind, alert.priority, alert.source) == (
        care.elder,
        "found_unwell",
        1,
        "visit",  # 1: critical
    )
    assert "发烧 39 度" in alert.detail
    assert "exception" in flag_codes(visit)


# --- late and missed, and the scan ----------------------------------------------------------


def test_late_visits_are_marked_and_notified_once_then_missed(care: Care) -> None:
    from yiyang.alerts.models import Notification

    visit = care.now_window(care.assigned("JW03"), opened_minutes_ago=20)
    assert services.visits_mark_late() == {"late": 1, "missed": 0}
    assert services.visits_mark_late() == {"late": 0, "missed": 0}
    later = visit.window_end + datetime.timedelta(hours=2)
    assert services.visits_mark_late(now=later) == {"late": 0, "missed": 1}
    notices = list(Notification.objects.filter(recipient_kind="provider"))
    assert {n.recipient for n in notices} == {"manager_p"}
    assert all(n.alert is None and "刘桂兰" in n.message for n in notices)
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.MISSED


def test_a_visit_not_yet_late_is_not_marked(care: Care) -> None:
    care.now_window(care.assigned("JW03"), opened_minutes_ago=5)
    assert services.visits_mark_late() == {"late": 0, "missed": 0}


def test_the_scan_finds_what_the_check_in_found_and_is_idempotent(care: Care) -> None:
    from yiyang.visits.models import VisitFlag

    visit = checked_in(care, lat=metres_north(600))
    VisitFlag.objects.all().delete()
    Visit.objects.update(review_status="none")
    today = timezone.localdate()
    first = services.visits_scan(
        start=today - datetime.timedelta(days=1), end=today + datetime.timedelta(days=1)
    )
    assert first == {"scanned": 1, "new_flags": 1, "visits_flagged": 1}
    assert flag_codes(visit) == ["out_of_range"]
    assert Visit.objects.get(pk=visit.pk).review_status == ReviewStatus.PENDING
    again = services.visits_scan(
        start=today - datetime.timedelta(days=1), end=today + datetime.timedelta(days=1)
    )
    assert again["new_flags"] == 0


# --- family ------------------------------------------------------------------------------


def delivered_visit(care: Care) -> Visit:
    visit = checked_in(care)
    return services.visit_check_out(
        actor=care.caregiver_user,
        visit=visit,
        fix=fix(at=visit.check_in_at + datetime.timedelta(minutes=30)),
    )


def test_family_sees_and_rates_only_with_consent(care: Care) -> None:
    visit = delivered_visit(care)
    assert list(selectors.visit_queryset(actor=care.family)) == [visit]
    services.visit_rate(actor=care.family, visit=visit, stars=5, comment="很好")
    with pytest.raises(ValidationError, match="already been rated"):
        services.visit_rate(actor=care.family, visit=visit, stars=4)
    assert VisitRating.objects.get(visit=visit).stars == 5
    Consent.objects.update(withdrawn_on=timezone.localdate())
    assert list(selectors.visit_queryset(actor=care.family)) == []
    stranger = UserFactory(username="other_family", role=Role.FAMILY)
    assert list(selectors.visit_queryset(actor=stranger)) == []
    with pytest.raises(PermissionDenied):
        services.visit_rate(actor=stranger, visit=visit, stars=3)


def test_a_visit_that_did_not_happen_cannot_be_rated(care: Care) -> None:
    visit = care.assigned("JW03")
    with pytest.raises(ValidationError, match="took place"):
        services.visit_rate(actor=care.family, visit=visit, stars=5)
    with pytest.raises(ValidationError):
        services.visit_rate(actor=care.family, visit=delivered_visit(care), stars=9)


# --- scope -------------------------------------------------------------------------------


def test_a_caregiver_sees_only_their_own_visits(care: Care) -> None:
    mine = care.assigned("JW03")
    other = care.order(
        "ZJ01", window_start=datetime.time(13), window_end=datetime.time(16)
    ).visits.get()
    services.visit_assign(actor=care.manager, visit=other, caregivers=[care.caregivers["li"]])
    assert list(selectors.visit_queryset(actor=care.caregiver_user)) == [mine]
    board = selectors.dispatch_board(actor=care.manager, provider=care.provider, day=mine.date)
    assert board.counts["total"] == 2
    outsider = UserFactory(
        username="mgr_other", role=Role.PROVIDER_MANAGER, organisation=care.world.org["home_YA"]
    )
    assert list(selectors.visit_queryset(actor=outsider)) == []
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.dispatch_board(actor=outsider, provider=care.provider, day=mine.date)


def test_an_action_id_reused_for_another_action_is_refused(care: Care) -> None:
    visit = care.now_window(care.assigned("JW03"), opened_minutes_ago=60)
    action = uuid.uuid4()
    services.visit_set_off(actor=care.caregiver_user, visit=visit, client_action_id=action)
    with pytest.raises(ValidationError) as error:
        services.visit_check_in(
            actor=care.caregiver_user, visit=visit, fix=fix(client_action_id=action)
        )
    assert "client_action_id" in error.value.message_dict


def test_a_visit_rejected_on_review_cannot_be_rated(care: Care) -> None:
    visit = checked_in(care, lat=metres_north(900))
    visit = services.visit_review(actor=care.manager, visit=visit, decision="rejected", reason="假")
    with pytest.raises(ValidationError, match="took place"):
        services.visit_rate(actor=care.family, visit=visit, stars=5)


def test_served_before_counts_the_second_caregiver_too(care: Care) -> None:
    two = care.order("ZY02").visits.get()
    services.visit_assign(
        actor=care.manager, visit=two, caregivers=[care.caregivers["wang"], care.caregivers["li"]]
    )
    Visit.objects.filter(pk=two.pk).update(status=VisitStatus.CONFIRMED)
    later = care.order("JW03", window_start=datetime.time(14), window_end=datetime.time(16))
    ranked = selectors.dispatch_candidates(actor=care.manager, visit=later.visits.get())
    assert {c.caregiver.name: c.served_before for c in ranked}["李护理"] == 1


def test_short_visits_in_one_window_are_not_double_booking(care: Care) -> None:
    first = care.order("JW03", window_start=datetime.time(11), window_end=datetime.time(12))
    services.visit_assign(
        actor=care.manager, visit=first.visits.get(), caregivers=[care.caregivers["wang"]]
    )
    second = care.order("JW03", window_start=datetime.time(11), window_end=datetime.time(12))
    done = services.visit_assign(
        actor=care.manager, visit=second.visits.get(), caregivers=[care.caregivers["wang"]]
    )
    assert done.status == VisitStatus.ASSIGNED  # 30 + 30 minutes fit in the hour
    third = care.order("JW03", window_start=datetime.time(11), window_end=datetime.time(12))
    assert refusal_codes(care, third.visits.get(), "wang") == ["double_booking"]


def test_accepted_at_check_in_is_confirmed_at_a_clean_check_out(care: Care) -> None:
    visit = checked_in(care, lat=metres_north(700))
    visit = services.visit_review(
        actor=care.manager, visit=visit, decision="accepted", reason="核实"
    )
    visit = services.visit_check_out(actor=care.caregiver_user, visit=visit, fix=fix())
    assert (visit.status, visit.delivered) == (VisitStatus.CONFIRMED, True)


def test_an_accepted_not_at_home_visit_is_confirmed_but_not_delivered(care: Care) -> None:
    visit = checked_in(care)
    visit = services.visit_check_out(
        actor=care.caregiver_user, visit=visit, fix=fix(), outcome="not_home", notes="敲门无人"
    )
    visit = services.visit_review(
        actor=care.manager, visit=visit, decision="accepted", reason="属实"
    )
    assert (visit.status, visit.delivered) == (VisitStatus.CONFIRMED, False)
