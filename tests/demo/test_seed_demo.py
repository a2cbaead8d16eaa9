"""The demo city: the figures DOMAIN.md gives, deterministic, every login works."""

from __future__ import annotations

import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.test import Client

from yiyang.accounts.models import User
from yiyang.core.models import Division
from yiyang.demo.services import DEFAULT_PASSWORD, DEMO_USERS, demo_city_build
from yiyang.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def test_demo_city_has_the_domain_proportions() -> None:
    started = time.monotonic()
    city = demo_city_build(seed=7)
    assert time.monotonic() - started < 30
    levels = {
        level: Division.objects.filter(level=level) for level in ("district", "street", "community")
    }
    assert levels["district"].filter(is_urban=True).count() == 4
    assert levels["district"].filter(is_urban=False).count() == 2
    assert 36 <= levels["street"].count() <= 44
    assert 280 <= levels["community"].count() <= 320
    communities = levels["community"]
    stations = Organisation.objects.filter(kind="community_station").values("division_id")
    urban = communities.filter(is_urban=True)
    rural = communities.filter(is_urban=False)
    assert urban.filter(pk__in=stations).count() == urban.count()  # 100% urban coverage
    rural_share = rural.filter(pk__in=stations).count() / rural.count()
    assert 0.6 <= rural_share <= 0.85  # about 72%
    beds = Organisation.objects.filter(kind="care_institution").aggregate(
        total=Sum("total_beds"), nursing=Sum("nursing_beds")
    )
    per_thousand = 1000 * beds["total"] / city.elders_60_plus
    assert 36 <= per_thousand <= 40  # about 38 beds per 1,000 elders
    assert 0.65 <= beds["nursing"] / beds["total"] <= 0.78  # about 70% nursing-type
    assert Organisation.objects.filter(kind="care_institution", ownership="public").exists()
    assert Organisation.objects.filter(kind="care_institution", ownership="private").exists()
    assert Organisation.objects.filter(operator__isnull=False).exists()
    assert set(User.objects.values_list("username", flat=True)) == {u for u, _, _ in DEMO_USERS}


def snapshot() -> list[tuple[object, ...]]:
    return list(
        Organisation.objects.order_by("licence_number", "name", "lat").values_list(
            "name", "licence_number", "lat", "division__code"
        )
    )


def test_demo_city_is_deterministic_and_idempotent() -> None:
    with transaction.atomic():
        demo_city_build(seed=3)
        first = snapshot()
        again = demo_city_build(seed=3)
        assert again.created is False
        assert snapshot() == first
        transaction.set_rollback(True)
    assert Organisation.objects.count() == 0
    demo_city_build(seed=3)
    assert snapshot() == first


def test_every_demo_login_works(client: Client) -> None:
    demo_city_build(seed=1)
    for username, _role, _place in DEMO_USERS:
        client.logout()
        response = client.post(
            "/accounts/login/", {"username": username, "password": DEFAULT_PASSWORD}
        )
        assert response.status_code == 302, username
        home = client.get("/", follow=True)
        assert home.status_code == 200, username


def test_demo_command_prints_address_and_every_login(settings: Any, tmp_path: Path) -> None:
    """One build of the whole demo city (the slowest test of the suite, so only once): the
    demo command seeds it, reports each part, prints every login; seeding again finds it."""
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("demo", "--no-serve", "--port", "8765", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8765/" in text
    for username, role, _place in DEMO_USERS:
        assert username in text
        assert str(role.label) in text  # English (tests run in English outside requests)
    assert "区级民政干部 / District officer" in text
    assert (tmp_path / "demo_password.sha256").exists()
    assert "Built the demo city" in text
    assert "Purchased services: 2 budget lines" in text
    out = StringIO()
    call_command("seed-demo", "--seed", "2", "--elders", "100", stdout=out)
    assert "Found the demo city" in out.getvalue()
