"""The scope: divisions, organisations, and the relation-based reach of linked elders, as
one rule for queries (``apply``) and single records (``covers``, ``covers_elder``)."""

from __future__ import annotations

import pytest
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
