"""Orders, dispatch, the visit lifecycle, every exception rule (a case that must and one
that must not be flagged), review, family access and bad input."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import make_elder
from tests.visits.conftest import Care, fix
from yiyang.core.permissions import Role
from yiyang.elders.models import Consent
from yiyang.services.models import ServiceItem
from yiyang.services.services import service_list_load
from yiyang.visits import selectors, services
from yiyang.visits.choices import ReviewStatus, VisitStatus
from yiyang.visits.models import Order, Visit, VisitEvent
from yiyang.visits.rules import Facts, cross_visit_flags, distance_m
from yiyang.visits.services import payers

pytestmark = pytest.mark.django_db


def flag_codes(visit: Visit) -> list[str]:
    return sorted(visit.flags.values_list("code", flat=True))


def metres_north(metres: float) -> float:
    return 34.75 + metres / 111_195


# --- the service list --------------------------------------------------------------------


def test_the_standard_list_has_the_nine_categories_and_loads_once(care: Care) -> None:
    items = ServiceItem.objects.filter(city=care.world.div["X"])
    assert items.count() == 23
    assert sorted(set(items.values_list("category", flat=True))) == [
        "bathing",
        "cleaning",
        "companionship",
        "emergency",
        "meals",
        "medical",
        "mobility",
        "personal_care",
        "rehabilitation",
    ]
    assert items.get(code="ZY02").two_caregivers is True
    from yiyang.core.permissions import SystemActor
    from yiyang.core.scoping import Scope

    admin = SystemActor(Scope(division_prefix="4191"), username="t")
    assert service_list_load(actor=admin, city=care.world.div["X"]) == 0


# --- orders and care plans ---------------------------------------------------------------


def test_a_care_plan_yields_its_weekdays(care: Care) -> None:
    start = timezone.localdate() + datetime.timedelta(days=1)
    order = care.order(
        "ZY01",
        ends_on=start + datetime.timedelta(days=27),
        weekdays=[1, 4],
        window_start=datetime.time(9),
        window_end=datetime.time(11),
    )
    dates = list(order.visits.values_list("date", flat=True))
    assert len(dates) == 8
    assert {d.weekday() for d in dates} == {1, 4}
    visit = order.visits.first()
    assert timezone.localtime(visit.window_start).time() == datetime.time(9)
    assert (visit.price, visit.self_pay_yuan, visit.status) == (
        Decimal("80.00"),
        Decimal("80.00"),
        VisitStatus.SCHEDULED,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weekdays": [6], "ends_on": "same"}, "weekdays"),
        ({"starts_on": "yesterday"}, "starts_on"),
        ({"window_end": datetime.time(10, 10)}, "window_end"),
        ({"allowance_yuan": "10", "self_pay_yuan": "30", "split_reason": "x"}, "self_pay_yuan"),
        ({"allowance_yuan": "5", "split_reason": "x"}, "allowance_yuan"),
        ({"ltc_yuan": "5"}, "split_reason"),
    ],
)
def test_bad_orders_are_refused_and_nothing_is_written(
    care: Care, changes: dict, field: str
) -> None:
    start = timezone.localdate() + datetime.timedelta(days=1)
    while start.weekday() == 6:
        start += datetime.timedelta(days=1)
    values = dict(changes)
    if values.get("ends_on") == "same":
        values["ends_on"] = start
    if values.get("starts_on") == "yesterday":
        values["starts_on"] = timezone.localdate() - datetime.timedelta(days=1)
    values.setdefault("starts_on", start)
    with pytest.raises(ValidationError) as error:  # shares given: an officer's override
        care.order("JW03", actor=care.world.user[Role.STREET_OFFICER], **values)
    assert field in error.value.message_dict
    assert Order.objects.count() == 0 and Visit.objects.count() == 0


def test_an_order_outside_the_providers_areas_or_services_is_refused(care: Care) -> None:
    world = care.world
    outside = make_elder(world.user[Role.CITY_ADMIN], world.div["XB1a"], name="远方老人")
    start = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.order_place(
            actor=world.user[Role.OPERATOR],
            elder=outside,
            provider=care.provider,
            item=care.items["JW03"],
            starts_on=start,
            window_start=datetime.time(10),
            window_end=datetime.time(12),
        )
    assert "provider" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        care.order("KF01")
    assert "item" in error.value.message_dict
    assert Order.objects.count() == 0


def test_the_allowance_is_checked_against_the_monthly_entitlement(care: Care, monkeypatch) -> None:
    monkeypatch.setattr(payers, "monthly_allowance", lambda elder, day: Decimal("90.00"))
    officer = care.world.user[Role.STREET_OFFICER]
    order = care.order(
        "JW03", actor=officer, allowance_yuan="20", self_pay_yuan="0", split_reason="核定"
    )
    assert order.allowance_yuan == Decimal("20.00")
    with pytest.raises(ValidationError) as error:  # the same day: 20 + 80 > 90
        care.order(
            "ZY01",
            actor=officer,
            allowance_yuan="80",
            self_pay_yuan="0",
            split_reason="核定",
            window_start=datetime.time(13),
            window_end=datetime.time(15),
        )
    assert "90.00" in error.value.message_dict["allowance_yuan"][0]
    assert Order.objects.count() == 1


def test_a_family_member_orders_for_their_elder_with_the_relation(care: Care) -> None:
    start = timezone.localdate() + datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as error:
        services.order_place(
            actor=care.family,
            elder=care.elder,
            provider=care.provider,
            item=care.items["JW03"],
            starts_on=start,
            window_start=datetime.time(10),
            window_end=datetime.time(12),
        )
    assert "relation" in error.value.message_dict
    order = services.order_place(
        actor=care.family,
        elder=care.elder,
        provider=care.provider,
        item=care.items["JW03"],
        starts_on=start,
        window_start=datetime.time(10),
        window_end=datetime.time(12),
        relation="child",
    )
    assert (order.placed_via, order.relation) == ("family", "child")
    Consent.objects.update(withdrawn_on=timezone.localdate())
    with pytest.raises(PermissionDenied):
        services.order_place(
            actor=care.family,
            elder=care.elder,
            provider=care.provider,
            item=care.items["JW03"],
            starts_on=start,
            window_start=datetime.time(13),
            window_end=datetime.time(15),
            relation="child",
        )


def test_cancelling_an_order_cancels_its_open_visits_with_the_notice_rule(care: Care) -> None:
    order = care.order("JW03", days=3)
    services.order_cancel(actor=care.world.user[Role.COMMUNITY_WORKER], order=order, reason="住院")
    visits = list(order.visits.order_by("date"))
    assert {v.status for v in visits} == {VisitStatus.CANCELLED}
    assert [v.short_notice for v in visits] == [
        v.window_start - timezone.now() < datetime.timedelta(hours=24) for v in visits
    ]
    with pytest.raises(ValidationError):
        services.order_cancel(actor=care.world.user[Role.COMMUNITY_WORKER], order=order, reason="x")


# --- dispatch ----------------------------------------------------------------------------


def refusal_codes(care: Care, visit: Visit, *names: str) -> list[str]:
    with pytest.raises(ValidationError) as error:
        services.visit_assign(
            actor=care.manager, visit=visit, caregivers=[care.caregivers[n] for n in names]
        )
    return error.value.message_dict["codes"]


def test_dispatch_refuses_conflicts_with_their_reasons(care: Care) -> None:
    bath = care.order("ZY01").visits.get()
    assert refusal_codes(care, bath, "li") == ["missing_qualification"] or "missing_skill" in (
        refusal_codes(care, bath, "li")
    )
    assert refusal_codes(care, bath, "zhao") == ["expired_certificate"]
    services.visit_assign(actor=care.manager, visit=bath, caregivers=[care.caregivers["wang"]])
    clash = care.order("ZY01", window_start=datetime.time(10, 30), window_end=datetime.time(11, 30))
    assert refusal_codes(care, clash.visits.get(), "wang") == ["double_booking"]
    two = care.order(
        "ZY02", window_start=datetime.time(13), window_end=datetime.time(16)
    ).visits.get()
    with pytest.raises(ValidationError) as error:
        services.visit_assign(actor=care.manager, visit=two, caregivers=[care.caregivers["wang"]])
    assert "caregivers" in error.value.message_dict
    done = services.visit_assign(
        actor=care.manager, visit=two, caregivers=[care.caregivers["wang"], care.caregivers["li"]]
    )
    assert (done.caregiver, done.second_caregiver, done.status) == (
        care.caregivers["wang"],
        care.caregivers["li"],
        VisitStatus.ASSIGNED,
    )


def test_dispatch_refuses_hours_exceeded_and_outside_working_hours(care: Care) -> None:
    li = care.caregivers["li"]
    li.max_minutes_per_day = 60
    li.save()
    first = care.order(
        "ZJ01", window_start=datetime.time(8), window_end=datetime.time(10)
    ).visits.get()
    assert refusal_codes(care, first, "li") == ["hours_exceeded"]
    li.max_minutes_per_day = 480
    li.work_start, li.work_end = datetime.time(13), datetime.time(17)
    li.save()
    assert refusal_codes(care, first, "li") == ["outside_hours"]


def test_the_suggestion_prefers_a_qualified_nearby_caregiver(care: Care) -> None:
    visit = care.order("ZY01").visits.get()
    ranked = selectors.dispatch_candidates(actor=care.manager, visit=visit)
    assert [c.caregiver.name for c in ranked if c.ok] == ["王护理"]
    assert {c.caregiver.name: [p[0] for p in c.problems] for c in ranked if not c.ok}["赵护理"] == [
        "expired_certificate"
    ]


# --- the lifecycle -----------------------------------------------------------------------


def test_a_visit_from_assignment_to_confirmation(care: Care) -> None:
    visit = care.now_window(care.assigned("JW03"))
    user = care.caregiver_user
    visit = services.visit_set_off(actor=user, visit=visit)
    assert visit.status == VisitStatus.ON_THE_WAY
    visit = services.visit_check_in(actor=user, visit=visit, fix=fix(metres_north(40)))
    assert visit.status == VisitStatus.CHECKED_IN and round(visit.check_in_distance) == 40
    Visit.objects.filter(pk=visit.pk).update(
        check_in_at=timezone.now() - datetime.timedelta(minutes=31)
    )
    visit.refresh_from_db()
    tasks = care.items["JW03"].checklist[:2]
    visit = services.visit_check_out(
        actor=user, visit=visit, fix=fix(), tasks_done=tasks, notes="好"
    )
    assert (visit.status, visit.tasks_done, flag_codes(visit)) == (VisitStatus.CONFIRMED, tasks, [])
    assert visit.delivered
    kinds = list(VisitEvent.objects.filter(visit=visit).values_list("kind", flat=True))
    assert kinds == ["assigned", "on_the_way", "check_in", "check_out"]


def checked_in(care: Care, code: str = "JW03", who: str = "wang", **fix_values) -> Visit:
    """Checked in 45 minutes ago (the window opened an hour ago)."""
    visit = care.now_window(care.assigned(code, who), opened_minutes_ago=60)
    fix_values.setdefault("at", timezone.now() - datetime.timedelta(minutes=45))
    return services.visit_check_in(actor=care.login(who), visit=visit, fix=fix(**fix_values))


def test_out_of_range_is_a_flag_not_a_block(care: Care) -> None:
    far = checked_in(care, lat=metres_north(500))
    assert far.status == VisitStatus.CHECKED_IN
    assert flag_codes(far) == ["out_of_range"]
    assert far.review_status == ReviewStatus.PENDING
    near = checked_in(care, "JW03", "li", lat=metres_north(150))
    assert flag_codes(near) == []


def test_too_short_is_flagged_and_a_full_visit_is_not(care: Care) -> None:
    visit = checked_in(care)  # JW03: 30 minutes standard
    at = visit.check_in_at + datetime.timedelta(minutes=10)
    visit = services.visit_check_out(actor=care.caregiver_user, visit=visit, fix=fix(at=at))
    assert flag_codes(visit) == ["too_short"]
    assert visit.status == VisitStatus.CHECKED_OUT and not visit.delivered
    other = checked_in(care, "JW03", "li")  # 45 minutes of a 30-minute standard
    other = services.visit_check_out(actor=care.login("li"), visit=other, fix=fix())
    assert flag_codes(other) == []


def test_two_visits_at_once_are_flagged_as_overlap(care: Care) -> None:
    first = checked_in(care)
    second_order = care.order("ZY01", window_start=datetime.time(14), window_end=datetime.time(16))
    second = services.visit_assign(
        actor=care.manager, visit=second_order.visits.get(), caregivers=[care.caregivers["wang"]]
    )
    second = care.now_window(second)
    at = timezone.now() - datetime.timedelta(minutes=30)  # the first is still going on
    second = services.visit_check_in(actor=care.caregiver_user, visit=second, fix=fix(at=at))
    assert "overlap" in flag_codes(second)
    assert "overlap" in flag_codes(first)


def test_consecutive_visits_apart_in_time_are_not_overlap(care: Care) -> None:
    first = checked_in(care)
    at = first.check_in_at + datetime.timedelta(minutes=5)
    first = services.visit_check_out(actor=care.caregiver_user, visit=first, fix=fix(at=at))
    second_order = care.order("ZY01", window_start=datetime.time(14), window_end=datetime.time(16))
    second = services.visit_assign(
        actor=care.manager, visit=second_order.visits.get(), caregivers=[care.caregivers["wang"]]
    )
    second = care.now_window(second, opened_minutes_ago=1)
    second = services.visit_check_in(actor=care.caregiver_user, visit=second, fix=fix())
    assert "overlap" not in flag_codes(second)


def facts(visit_id: int, start: datetime.datetime, minutes: int, lat: float) -> Facts:
    return Facts(
        visit_id=visit_id,
        caregiver_ids=(1,),
        standard_minutes=30,
        check_in_at=start,
        check_out_at=start + datetime.timedelta(minutes=minutes),
        in_lat=lat,
        in_lng=113.65,
        out_lat=lat,
        out_lng=113.65,
    )


def test_impossible_travel_between_consecutive_visits() -> None:
    t0 = timezone.now()
    a = facts(1, t0, 30, 34.75)
    far_soon = facts(2, t0 + datetime.timedelta(minutes=40), 30, 34.75 + 30_000 / 111_195)
    near_later = facts(3, t0 + datetime.timedelta(minutes=40), 30, 34.75 + 2_000 / 111_195)
    found = cross_visit_flags([a, far_soon], max_speed_kmh=60)
    assert [code for code, _ in found[2]] == ["impossible_travel"]
    assert cross_visit_flags([a, near_later], max_speed_kmh=60) == {}
    assert round(distance_m(34.75, 113.65, 34.75 + 30_000 / 111_195, 113.65)) == 30_000


def test_a_visit_to_an_elder_in_hospital_is_flagged(care: Care) -> None:
    from yiyang.elders.services import elder_update

    visit = care.now_window(care.assigned("JW03"))
    elder_update(
        actor=care.world.user[Role.COMMUNITY_WORKER],
        elder=care.elder,
        status="in_hospital",
        status_changed_on=timezone.localdate() - datetime.timedelta(days=2),
    )
    visit = services.visit_check_in(actor=care.caregiver_user, visit=visit, fix=fix())
    assert flag_codes(visit) == ["elder_unavailable"]


def test_an_active_elder_is_not_flagged_unavailable(care: Care) -> None:
    visit = checked_in(care)
    assert "elder_unavailable" not in flag_codes(visit)


def test_check_out_without_check_in_is_flagged(care: Care) -> None:
    visit = care.now_window(care.assigned("JW03"))
    visit = services.visit_check_out(actor=care.caregiver_user, visit=visit, fix=fix())
    assert flag_codes(visit) == ["no_check_in"]


def test_a_correction_is_flagged_edited_and_reviewed(care: Care) -> None:
    visit = care.now_window(care.assigned("JW03"))
    start = timezone.now() - datetime.timedelta(minutes=50)
    with pytest.raises(ValidationError) as error:
        services.visit_correct(
            actor=care.manager,
            visit=visit,
            check_in_at=start,
            check_out_at=start + datetime.timedelta(minutes=40),
            reason="手机没电",
            attestation=False,
        )
    assert "attestation" in error.value.message_dict
    visit = services.visit_correct(
        actor=care.manager,
        visit=visit,
        check_in_at=start,
        check_out_at=start + datetime.timedelta(minutes=40),
        reason="手机没电",
        attestation=True,
    )
    assert flag_codes(visit) == ["edited"]
    assert visit.review_status == ReviewStatus.PENDING
    assert VisitEvent.objects.get(visit=visit, kind="corrected").detail["reason"] == "手机没电"


def test_review_decides_what_counts_as_delivered(care: Care) -> None:
    visit = checked_in(care, lat=metres_north(800))
    visit = services.visit_check_out(
        actor=care.caregiver_user,
        visit=visit,
        fix=fix(lat=metres_north(800), at=visit.check_in_at + datetime.timedelta(minutes=30)),
    )
    assert visit.status == VisitStatus.CHECKED_OUT and not visit.delivered
    services.visit_flag_explain(
        actor=care.caregiver_user, visit=visit, code="out_of_range", explanation="老人在女儿家"
    )
    with pytest.raises(ValidationError):
        services.visit_review(actor=care.manager, visit=visit, decision="accepted", reason="")
    visit = services.visit_review(
        actor=care.manager, visit=visit, decision="accepted", reason="核实"
    )
    assert (visit.status, visit.delivered) == (VisitStatus.CONFIRMED, True)
    rejected = checked_in(care, "JW03", "li", lat=metres_north(900))
    rejected = services.visit_review(
        actor=care.manager, visit=rejected, decision="rejected", reason="虚假"
    )
    assert not rejected.delivered


# --- bad input at the door ---------------------------------------------------------------
