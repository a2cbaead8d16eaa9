"""Logins: lockout, two-factor authentication, API tokens, session expiry, the login audit."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import World, login
from tests.factories import PASSWORD, confirmed_totp
from yiyang.core.models import AuditEvent


def current_code(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(6)


def test_login_with_the_form_and_audit(world: World, client: Client) -> None:
    # A role that needs no second factor: the password alone completes the login.
    response = client.post(
        "/accounts/login/",
        {"username": "provider_manager", "password": PASSWORD},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    event = AuditEvent.objects.get(action="login")
    assert (event.actor_username, event.ip_address) == ("provider_manager", "10.1.2.3")


def test_failed_logins_lock_the_account_and_are_audited(world: World, client: Client) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        client.post(
            "/accounts/login/", {"username": "street_officer", "password": "wrong-password"}
        )
    assert (
        AuditEvent.objects.filter(action="login_failed", actor_username="street_officer").count()
        == limit
    )
    # Even the right password is refused now.
    response = client.post("/accounts/login/", {"username": "street_officer", "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert client.get("/").status_code == 302  # still not logged in
    assert AuditEvent.objects.filter(action="locked_out").exists()


def test_admin_must_enrol_then_verify_totp(world: World, client: Client) -> None:
    admin = world.user["city_admin"]
    client.post("/accounts/login/", {"username": "city_admin", "password": PASSWORD})
    # Logged in by password, but nothing is reachable before the second factor.
    for path in ("/organisations/", "/accounts/users/", "/accounts/password/", "/audit/"):
        assert client.get(path).url == "/accounts/2fa/", path
    assert client.get("/api/v1/organisations/").status_code == 403
    setup = client.get("/accounts/2fa/")
    assert b"<svg" in setup.content
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    assert client.post("/accounts/2fa/", {"token": "000000"}).status_code == 200
    # A wrong code throttles the device for a second (django-otp); skip the wait.
    device.refresh_from_db()
    device.throttle_reset()
    response = client.post("/accounts/2fa/", {"token": current_code(device)})
    assert response.status_code == 302
    assert client.get("/organisations/").status_code == 200
    assert AuditEvent.objects.filter(action="otp_enrolled", actor_username="city_admin").exists()


def test_enrolled_user_is_asked_for_the_code_on_next_login(world: World, client: Client) -> None:
    device = confirmed_totp(world.user["street_officer"])
    client.post("/accounts/login/", {"username": "street_officer", "password": PASSWORD})
    assert client.get("/").url == "/accounts/2fa/"
    client.post("/accounts/2fa/", {"token": current_code(device)})
    assert client.get("/").status_code == 200


def token(client: Client, **body: str) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/api/v1/auth/token/", data=json.dumps(body), content_type="application/json"
    )
    return response.status_code, response.json()


def test_token_authentication(world: World, client: Client) -> None:
    status, body = token(client, username="provider_manager", password=PASSWORD)
    assert status == 200
    api = Client(HTTP_AUTHORIZATION=f"Token {body['token']}")
    me = api.get("/api/v1/me/").json()
    assert (me["username"], me["role"]) == ("provider_manager", "provider_manager")
    assert api.get("/api/v1/organisations/").status_code == 200
    assert Client(HTTP_AUTHORIZATION="Token nonsense").get("/api/v1/me/").status_code == 401
    assert Client().get("/api/v1/me/").status_code in (401, 403)


def test_token_refused_for_wrong_password_and_missing_otp(world: World, client: Client) -> None:
    assert token(client, username="street_officer", password="nope-nope-nope")[0] == 401
    status, body = token(client, username="city_admin", password=PASSWORD)
    assert status == 400
    assert "otp" in body
    device = confirmed_totp(world.user["city_admin"])
    assert token(client, username="city_admin", password=PASSWORD, otp="123456")[0] == 400
    device.refresh_from_db()
    device.throttle_reset()
    status, body = token(client, username="city_admin", password=PASSWORD, otp=current_code(device))
    assert status == 200
    assert token(client, username="x" * 400, password="y")[0] == 400


def test_token_endpoint_locks_out_too(world: World, client: Client) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        token(client, username="street_officer", password="wrong-password")
    status, body = token(client, username="street_officer", password=PASSWORD)
    assert status == 429
    assert "锁定" in str(body)


def test_deactivating_a_user_revokes_their_tokens(world: World, client: Client) -> None:
    from yiyang.accounts.services import user_update

    _, body = token(client, username="provider_manager", password=PASSWORD)
    api = Client(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api.get("/api/v1/me/").status_code == 200
    user_update(
        actor=world.user["city_admin"], user=world.user["provider_manager"], is_active=False
    )
    assert api.get("/api/v1/me/").status_code == 401


def test_sessions_expire_when_idle() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


@pytest.mark.parametrize("path", ["/", "/organisations/", "/divisions/", "/accounts/users/"])
def test_pages_need_login(path: str, client: Client, db: None) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_users_change_their_own_password(world: World, client: Client) -> None:
    client.post("/accounts/login/", {"username": "provider_manager", "password": PASSWORD})
    _, body = token(Client(), username="provider_manager", password=PASSWORD)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "wrong",
            "new_password1": "Another-secret-77",
            "new_password2": "Another-secret-77",
        },
    )
    assert response.status_code == 200  # the old password is required
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200  # validators apply
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Another-secret-77",
            "new_password2": "Another-secret-77",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # still logged in
    world.user["provider_manager"].refresh_from_db()
    assert world.user["provider_manager"].check_password("Another-secret-77")
    assert AuditEvent.objects.filter(action="password_changed").count() == 1
    assert Client(HTTP_AUTHORIZATION=f"Token {body['token']}").get("/api/v1/me/").status_code == 401


def test_admin_resets_two_factor_and_lifts_a_lockout(world: World, client: Client) -> None:
    target = world.user["street_officer"]
    confirmed_totp(target)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            "/accounts/login/", {"username": "street_officer", "password": "wrong-password"}
        )
    login(client, world.user["city_admin"])
    detail = client.get(f"/accounts/users/{target.external_id}/").content.decode()
    assert "reset-2fa" in detail
    assert "unlock" in detail
    assert client.post(f"/accounts/users/{target.external_id}/reset-2fa/").status_code == 302
    assert client.post(f"/accounts/users/{target.external_id}/unlock/").status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    response = Client().post(
        "/accounts/login/", {"username": "street_officer", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert set(
        AuditEvent.objects.filter(object_id=str(target.external_id)).values_list(
            "action", flat=True
        )
    ) >= {
        "otp_reset",
        "unlocked",
    }
    # An auditor may look but not act.
    auditor = login(Client(), world.user["auditor"])
    assert auditor.post(f"/accounts/users/{target.external_id}/reset-2fa/").status_code == 403
