"""Settings, health, the committed OpenAPI schema, languages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from tests.conftest import World, login

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "YIYANG_MODE",
            "DEBUG",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "FIELD_ENCRYPTION_KEYS",
            "FIELD_HASH_KEY",
        }
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_start_without_secret_key_fails_clearly() -> None:
    result = run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()"
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    result = run_python(
        "import sys; from yiyang.__main__ import main; sys.argv=['yiyang','check','--deploy','--fail-level','WARNING']; main()",
        SECRET_KEY="k" * 20 + "-Production-Secret-0123456789-abcdefghijkl",
        ALLOWED_HOSTS="yiyang.example.gov.cn",
        YIYANG_VAR_DIR=str(tmp_path),
        FIELD_ENCRYPTION_KEYS="dGVzdC1vbmx5LWZpZWxkLWtleS0wMDAwMDAwMDAwMDA=",
        FIELD_HASH_KEY="production-hash-key-0123456789",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_start_without_field_keys_fails_clearly(tmp_path: Path) -> None:
    result = run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()",
        SECRET_KEY="k" * 20 + "-Production-Secret-0123456789-abcdefghijkl",
        YIYANG_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY must be set" in result.stderr


def test_bad_environment_values_fail_clearly() -> None:
    result = run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()",
        YIYANG_MODE="test",
        DEBUG="maybe",
    )
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_healthz_reports_database(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_healthz_503_when_database_unreachable(client: Client, db: None) -> None:
    with mock.patch.object(connection, "cursor", side_effect=Exception("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_committed_openapi_schema_matches_the_code(tmp_path: Path, db: None) -> None:
    generated = tmp_path / "openapi.yaml"
    call_command(
        "spectacular", "--file", str(generated), "--validate", "--fail-on-warn", "--lang", "en"
    )
    committed = ROOT / "docs" / "openapi.yaml"
    assert committed.read_text(encoding="utf-8") == generated.read_text(encoding="utf-8"), (
        "docs/openapi.yaml is out of date: run `make schema` and commit it."
    )


def test_schema_and_docs_are_served(client: Client, db: None) -> None:
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()  # assets are vendored (drf-spectacular-sidecar)


def test_chinese_by_default_and_english_on_request(world: World, client: Client) -> None:
    login(client, world.user["street_officer"])
    page = client.get("/organisations/").content.decode()
    assert '<html lang="zh-hans">' in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/organisations/"})
    page = client.get("/organisations/").content.decode()
    assert '<html lang="en">' in page
    assert "Organisations" in page


def test_pages_ignore_browser_language_but_api_honours_it(world: World, client: Client) -> None:
    login(client, world.user["street_officer"])
    page = client.get("/organisations/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "机构" in page
    english = client.get("/api/v1/organisations/x/", HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get("/api/v1/organisations/x/")
    assert english.json() != chinese.json()


@pytest.mark.parametrize(
    "asset", ["/static/yiyang/yiyang.css", "/static/yiyang/vendor/htmx-2.0.11.min.js"]
)
def test_assets_are_vendored_and_served(asset: str, client: Client, db: None) -> None:
    body = client.get("/accounts/login/").content.decode()
    assert asset in body
    assert "http" not in body.split("<body>")[0].replace("http-equiv", "")
    assert client.get(asset).status_code == 200


def test_no_model_change_lacks_a_migration(db: None) -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
