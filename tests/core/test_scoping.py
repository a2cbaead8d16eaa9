"""The scope: divisions, organisations, and the relation-based reach of linked elders, as
one rule for queries (``apply``) and single records (``covers``, ``covers_elder``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Q
from django.utils import timezone

from tests.conftest import World
from tests.factories import make_elder
from yiyang.core.scoping import EMPTY_SCOPE, Scope
from yiyang.elders.models import Elder
from yiyang.elders.services import consent_record, consent_withdraw, family_member_link


def test_linked_elders_reach_only_records_about_them() -> None:
    scope = Scope(elder_ids=frozenset({7, 9}))
    assert scope.is_empty  # no place: code that reads places gives it nothing
    assert scope.q(division_code_field="division_code", organisation_field=None) is None
    condition = scope.q(
        division_code_field="division_code", organisation_field=None, elder_field="elder_id"
    )
    assert (
        condition is not None
        and "elder_id__in" in str(condition)
        and "division" not in str(condition)
    )
    assert scope.covers(division_code="419101", organisation_id=None, elder_id=7)
    assert not scope.covers(division_code="419101", organisation_id=None, elder_id=8)
    assert not scope.covers(division_code="419101", organisation_id=None)  # not about an elder
    assert scope.covers_elder(elder_id=9, division_code="") and not scope.covers_elder(
        elder_id=1, division_code=""
    )


def test_places_cover_elders_by_where_they_live() -> None:
    district = Scope(division_prefix="419101")
    assert district.covers_elder(elder_id=None, division_code="419101001001")
    assert not district.covers_elder(elder_id=None, division_code="419102001001")
    assert not EMPTY_SCOPE.covers_elder(elder_id=1, division_code="419101001001")


@pytest.mark.django_db
def test_a_family_members_scope_follows_link_and_consent(world: World) -> None:
    family, worker = world.user["family"], world.user["community_worker"]
    elder: Elder = make_elder(world.user["city_admin"], world.div["XA1a"], name="王秀英")  # type: ignore[assignment]
    assert family.scope.elder_ids == frozenset()
    family_member_link(actor=worker, elder=elder, user=family, relation="child")
    assert family.scope.elder_ids == frozenset()  # linked, but no consent yet
    consent = consent_record(
        actor=worker,
        elder=elder,
        purpose="family_view",
        given_by="elder",
        given_on=timezone.localdate(),
    )
    assert family.scope.elder_ids == frozenset({elder.pk})
    consent_withdraw(actor=worker, consent=consent, on=timezone.localdate())
    assert family.scope.elder_ids == frozenset()  # read each time: closed at once
    assert world.user["district_officer"].scope.elder_ids is None


def test_a_worker_reaches_work_assigned_to_them_and_open_work_in_their_place() -> None:
    assessor = Scope(division_prefix="419102", worker_id=5)
    fields: dict[str, Any] = {"division_code_field": "division_code", "organisation_field": None}
    own = assessor.q(**fields, worker_fields=("assessor_id", "second_assessor_id"))
    assert own is not None and "assessor_id" in str(own) and "division" not in str(own)
    with_open = assessor.q(
        **fields, worker_fields=("assessor_id",), open_work=Q(assessor__isnull=True)
    )
    assert with_open is not None and "division_code__gte" in str(with_open)
    # Work that is no worker's (an order) is beyond a worker; records that are not work
    # (a canteen, an elder) are reached by place as for anyone.
    assert assessor.q(**fields, worker_fields=()) is None
    assert assessor.q(**fields) == Scope(division_prefix="419102").q(**fields)
    assert assessor.covers(division_code="419101", organisation_id=None, worker_ids=(5, None))
    assert not assessor.covers(division_code="419102", organisation_id=None, worker_ids=(6,))
    # Not a worker: the worker fields change nothing.
    officer = Scope(division_prefix="419102")
    assert officer.q(**fields, worker_fields=()) == officer.q(**fields)
    assert officer.covers(division_code="419102001", organisation_id=None, worker_ids=(6,))


@pytest.mark.django_db
def test_worker_roles_carry_their_user_in_the_scope(world: World) -> None:
    for role in ("caregiver", "assessor", "evaluator"):
        assert world.user[role].scope.worker_id == world.user[role].pk
    for role in ("provider_manager", "community_worker", "family", "city_admin"):
        assert world.user[role].scope.worker_id is None


@pytest.mark.django_db
def test_a_provider_reaches_elders_where_it_serves(world: World) -> None:
    from yiyang.services.services import service_areas_set

    manager = world.user["provider_manager"]
    provider = world.org["operator"]
    inside = make_elder(world.user["city_admin"], world.div["XA1a"], name="李桂兰")
    outside = make_elder(world.user["city_admin"], world.div["XA2a"], name="张建国")
    assert manager.scope.served_q("division_code") is None  # serves nowhere yet
    assert not manager.scope.serves_division_code(world.div["XA1a"].code)
    service_areas_set(actor=manager, provider=provider, divisions=[world.div["XA1"]])
    served = manager.scope.served_q("division_code")
    assert served is not None
    assert list(Elder.objects.filter(served)) == [inside]
    assert manager.scope.serves_division_code(world.div["XA1a"].code)
    assert not manager.scope.serves_division_code(world.div["XA2a"].code)
    assert not Elder.objects.filter(served, pk=outside.pk).exists()  # type: ignore[attr-defined]
    # Not bound to organisations: no served areas (their reach is their place).
    assert world.user["community_worker"].scope.served_q("division_code") is None
