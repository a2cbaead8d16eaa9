"""Indicators per provider: computed on a hand-made month, kept in the snapshots, ranked on
the dashboard and in the API, scoped like everything else."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import World
from tests.factories import OrganisationFactory
from tests.indicators.conftest import elder, service_item, this_month, visit
from yiyang.core.indicators import provider_catalogue, provider_compute
from yiyang.core.permissions import Role
from yiyang.indicators.models import ProviderSnapshot
from yiyang.indicators.selectors import current_month, provider_ranking
from yiyang.indicators.services import snapshot_take
from yiyang.organisations.choices import OrganisationKind as K
from yiyang.services.models import ServiceOffering
from yiyang.supervision.models import Complaint
from yiyang.visits.models import VisitFlag, VisitRating


def month_of_two_providers(world: World) -> tuple[Any, Any]:
    """P (based in XA1b): 4 visits this month, 3 delivered (1 late), 1 missed, 1 flagged,
    ratings 5 and 2, one complaint. Q (based in XB1a): 2 visits, both delivered on time."""
    d, o = world.div, world.org
    item = service_item(d["X"])
    p = o["home_care"]
    q = OrganisationFactory(name="居家公司Q", kind=K.HOME_CARE_COMPANY, division=d["XB1a"])
    for provider in (p, q):
        ServiceOffering.objects.create(provider=provider, item=item, price=Decimal(50))
    a, b = elder(d["XA1a"]), elder(d["XB1a"])
    day = timezone.localdate().replace(day=1)
    first = visit(a, p, item, day)
    late = visit(a, p, item, day, is_late=True)
    visit(a, p, item, day)
    visit(a, p, item, day, status="missed")
    visit(a, p, item, day, status="cancelled")  # not counted anywhere
    visit(b, q, item, day)
    visit(b, q, item, day)
    VisitFlag.objects.create(visit=late, code="too_short", detail="")
    VisitRating.objects.create(visit=first, stars=5)
    VisitRating.objects.create(visit=late, stars=2)
    now = timezone.now()
    Complaint.objects.create(
        number="TS1",
        channel="family_page",
        organisation=p,
        division_code=a.division_code,
        visit=late,
        text="迟到",
        received_at=now,
        acknowledge_by=now,
        answer_by=now,
    )
    return p, q


def values(code: str, *providers: Any) -> list[Any]:
    compute = provider_compute(code)
    assert compute is not None
    found = compute(this_month(), list(providers))
    return [None if found[x.pk].value is None else found[x.pk].value for x in providers]


def test_provider_forms_on_a_hand_made_month(world: World) -> None:
    p, q = month_of_two_providers(world)
    assert values("visits_planned", p, q) == [4, 2]
    assert values("visits_delivered", p, q) == [3, 2]
    assert values("visits_late", p, q) == [1, 0]
    assert values("visits_missed", p, q) == [1, 0]
    assert values("visits_on_time_share", p, q) == [Decimal("66.67"), 100]
    assert values("visits_missed_share", p, q) == [25, 0]
    assert values("visits_flagged", p, q) == [1, 0]
    assert values("orders_placed", p, q) == [5, 2]
    assert values("ratings", p, q) == [2, 0]
    # Q has no ratings: nothing to divide by, "—" rather than 0 %.
    assert values("ratings_satisfied_share", p, q) == [50, None]
    assert values("complaints", p, q) == [1, 0]
    # Only the indicators where a provider form means something have one.
    assert "registered_elders" not in provider_catalogue()


def test_snapshot_keeps_provider_figures_and_matches_live(world: World) -> None:
    p, q = month_of_two_providers(world)
    result = snapshot_take(month=current_month())
    assert result["provider_rows"] == 2 * len(provider_catalogue())
    kept = ProviderSnapshot.objects.get(code="visits_delivered", provider=p)
    assert (kept.value, kept.division_code) == (3, p.division.code)
    # The ranking reads the snapshot; it equals the live computation.
    ranked = provider_ranking(actor=world.user[Role.CITY_ADMIN], code="visits_on_time_share")
    assert [(f.provider, f.value.value) for f in ranked] == [
        (q, Decimal("100.0000")),
        (p, Decimal("66.6700")),
    ]
    # A refresh replaces, never doubles.
    snapshot_take(month=current_month())
    assert ProviderSnapshot.objects.filter(code="visits_delivered").count() == 2


def test_ranking_direction_scope_and_refusals(world: World) -> None:
    p, q = month_of_two_providers(world)
    city = world.user[Role.CITY_ADMIN]
    # Lower is better for missed visits: Q first.
    ranked = provider_ranking(actor=city, code="visits_missed_share")
    assert [f.provider for f in ranked] == [q, p]
    # A district officer of XA sees the provider based in XA only.
    district = provider_ranking(actor=world.user[Role.DISTRICT_OFFICER], code="complaints")
    assert [f.provider for f in district] == [p]
    # Under a division: providers based there.
    assert [
        f.provider
        for f in provider_ranking(actor=city, code="complaints", division=world.div["XB"])
    ] == [q]
    with pytest.raises(ValidationError, match="not computed per provider"):
        provider_ranking(actor=city, code="registered_elders")
    with pytest.raises(ValidationError):
        provider_ranking(actor=city, code="no_such_indicator")
    # Another city's administrator sees neither.
    assert provider_ranking(actor=world.user["admin_Y"], code="complaints") == []


def test_api_and_dashboard_show_the_providers(world: World, client_for: Any) -> None:
    p, q = month_of_two_providers(world)
    city = client_for(Role.CITY_ADMIN)
    catalogue = {i["code"]: i for i in city.get("/api/v1/indicators/").json()}
    assert catalogue["visits_delivered"]["per_provider"] is True
    assert catalogue["registered_elders"]["per_provider"] is False
    rows = city.get("/api/v1/indicators/visits_delivered/providers/").json()
    assert [(r["rank"], r["provider_name"], r["display"]) for r in rows] == [
        (1, p.name, "3"),
        (2, q.name, "2"),
    ]
    answer = city.get("/api/v1/indicators/registered_elders/providers/")
    assert answer.status_code == 400 and "registered_elders" in answer.json()["code"][0]
    assert (
        city.get("/api/v1/indicators/visits_delivered/providers/?month=2999-01").status_code == 400
    )
    street = client_for(Role.STREET_OFFICER)
    rows = street.get("/api/v1/indicators/visits_delivered/providers/").json()
    assert [r["provider_name"] for r in rows] == [p.name]
    assert (
        client_for(Role.FAMILY).get("/api/v1/indicators/visits_delivered/providers/").status_code
        == 403
    )
    page = city.get("/dashboard/?indicator=visits_delivered", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-chart="providers"' in text and p.name in text and q.name in text
    # An indicator without a provider form shows no providers section.
    page = city.get("/dashboard/?indicator=registered_elders")
    assert 'data-chart="providers"' not in page.content.decode()
