"""The service list, offerings, service areas and caregivers through the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import login
from tests.visits.conftest import Care
from yiyang.core.permissions import Role

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, data: dict) -> object:
    return client.post(url, json.dumps(data), content_type="application/json")


def test_the_list_is_readable_by_every_role_and_edited_by_the_city(care: Care, client_for) -> None:
    for role in (Role.FAMILY, Role.CAREGIVER, Role.AUDITOR):
        answer = client_for(role).get("/api/v1/service-items/?category=bathing")
        assert answer.status_code == 200
        assert {row["code"] for row in answer.json()["results"]} == {"ZY01", "ZY02", "ZY03"}
    item = {
        "category": "meals",
        "code": "ZC09",
        "name": "社区食堂堂食",
        "unit": "meal",
        "standard_minutes": 30,
        "standard_price": "12.00",
        "checklist": ["核对身份"],
    }
    assert post(client_for(Role.STREET_OFFICER), "/api/v1/service-items/", item).status_code == 403
    created = post(client_for(Role.CITY_ADMIN), "/api/v1/service-items/", item)
    assert created.status_code == 201, created.content
    again = post(client_for(Role.CITY_ADMIN), "/api/v1/service-items/", item)
    assert again.status_code == 400 and "code" in again.json()


def test_a_provider_sets_its_offer_areas_and_caregivers(care: Care) -> None:
    client = login(Client(), care.manager)
    provider = str(care.provider.external_id)
    offer = post(
        client,
        "/api/v1/offerings/",
        {
            "provider": provider,
            "service": str(care.items["KF01"].external_id),
            "price": "75.00",
        },
    )
    assert offer.status_code == 201 and offer.json()["price"] == "75.00"
    areas = post(
        client,
        "/api/v1/offerings/areas/",
        {
            "provider": provider,
            "divisions": [care.world.div["XA1"].code, "999999999999"],
        },
    )
    assert areas.status_code == 400 and "999999999999" in areas.json()["divisions"][0]
    areas = post(
        client,
        "/api/v1/offerings/areas/",
        {
            "provider": provider,
            "divisions": [care.world.div["XA1"].code, care.world.div["XA2"].code],
        },
    )
    assert areas.json()["divisions"] == [care.world.div["XA1"].code, care.world.div["XA2"].code]
    listed = client.get("/api/v1/offerings/areas/").json()
    assert [row["provider"] for row in listed["results"]] == [provider]
    bad = post(client, "/api/v1/caregivers/", {"name": "孙", "phone": "12345", "work_days": [9]})
    assert bad.status_code == 400 and set(bad.json()) >= {"work_days"}
    bad = post(client, "/api/v1/caregivers/", {"name": "孙", "phone": "12345"})
    assert bad.status_code == 400 and "phone" in bad.json()
    made = post(
        client,
        "/api/v1/caregivers/",
        {
            "name": "孙护理",
            "phone": "13900001111",
            "skills": ["bathing"],
            "work_start": "08:00",
            "work_end": "17:00",
        },
    )
    assert made.status_code == 201, made.content
    assert made.json()["phone"] == "139****1111"
    cid = made.json()["id"]
    cert = post(
        client,
        f"/api/v1/caregivers/{cid}/certificates/",
        {
            "qualification": "nurse",
            "issued_on": "2025-01-01",
            "expires_on": "2024-01-01",
        },
    )
    assert cert.status_code == 400 and "expires_on" in cert.json()
    outsider = login(Client(), care.world.user["admin_Y"])
    assert outsider.get(f"/api/v1/caregivers/{cid}/").status_code == 404


def test_caregiver_phones_rotate_with_the_field_keys(care: Care, settings) -> None:
    from cryptography.fernet import Fernet

    from yiyang.core.permissions import SystemActor
    from yiyang.core.scoping import Scope
    from yiyang.elders.services import field_keys_rotate
    from yiyang.services.services import caregiver_phone, caregiver_save

    wang = caregiver_save(
        actor=care.manager,
        provider=care.provider,
        caregiver=care.caregivers["wang"],
        phone="13900002222",
    )
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, settings.FIELD_ENCRYPTION_KEYS[0]]
    counts = field_keys_rotate(actor=SystemActor(Scope(division_prefix=""), username="t"))
    assert counts["services.caregiver"] == len(care.caregivers)
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    wang.refresh_from_db()
    assert caregiver_phone(wang) == "13900002222"
