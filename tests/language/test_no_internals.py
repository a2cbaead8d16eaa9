"""No internal representation reaches a page: every role GETs every page it may open (list
pages from the URL resolver, detail pages with one object of each kind) in Chinese and in
English, and the visible text holds no Python repr, no stored code, no ``app.model`` label and,
in Chinese, no untranslated English word and no half-width colon after Chinese text."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation

from tests.conftest import login
from tests.language.world import RichWorld, build_rich_world
from yiyang.core.permissions import Role

# Pages that are not pages: files, streams, redirects with side effects, logout.
SKIPPED_NAMES = {"healthz", "set_language", "accounts:logout", "alerts:stream", "accounts:otp"}
SKIPPED_SUFFIXES = (".csv", ".xlsx", ".pdf", ".json", ".geojson")
# URL name (or its namespace) -> the object whose external id fills ``external_id``.
OBJECT_FOR = {
    "accounts": "user",
    "divisions": "division",
    "organisations": "organisation",
    "elders:import": "import_job",
    "elders": "elder",
    "scheduling": "plan",
    "assessments:eligibility": "eligibility",
    "assessments:elder": "elder",
    "assessments": "assessment",
    "services": "caregiver",
    "visits:order": "order",
    "visits:elder-care": "elder",
    "visits": "visit",
    "family": "visit",
    "devices": "device",
    "alerts:elder_settings": "elder",
    "alerts:contact_email": "elder",
    "alerts": "alert",
    "facilities": "facility",
}
EXTRA_KWARGS = {"contact_id": "contact", "consent_id": "consent"}

# Words that may stay Latin on a Chinese page: units, brands, standards, formats, the name of
# the other language in the switch.
LATIN_ALLOWED = {
    "SOS",
    "IMEI",
    "SIM",
    "ICCID",
    "GPS",
    "ID",
    "CSV",
    "Excel",
    "PDF",
    "TOTP",
    "km",
    "m",
    "s",
    "min",
    "ppm",
    "SpO",
    "English",
    "Leaflet",
    "OpenStreetMap",
    "ECharts",
    "MMSE",
    "ADL",
    "Barthel",
    "TSA",
    "yiyang",
    "anxin",
    "IP",
    "OK",
    "Tab",
    "Alt",
    "API",
    "kg",
    "cm",
    "mmHg",
    "QR",
    "HTTPS",
    "MQTT",
    "GB",
    "JSON",  # a national standard's prefix (GB 38600-2019); a file format, as CSV
}
SCRIPT = re.compile(r"<(script|style|template)\b.*?</\1>", re.S | re.I)
TAG = re.compile(r"<[^>]+>")
REPR = re.compile(r"\{'|\['|<QuerySet|object at 0x")
# None, True and False are English words too ("None.", "False alarm"): reprs on Chinese pages.
REPR_WORDS = re.compile(r"\b(?:None|True|False)\b")
HALF_WIDTH_COLON = re.compile(r"[\u3400-\u9fff）]:(?!\d)")
LATIN_WORD = re.compile(r"(?<![\w.@/-])[A-Za-z][A-Za-z]+(?![\w.@/-])")


def _patterns(
    resolver: URLResolver, prefix: str = "", ns: str = ""
) -> Iterator[tuple[str, str, list[str]]]:
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
            yield from _patterns(p, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern) and p.name:
            name = f"{ns}:{p.name}" if ns else p.name
            yield prefix + str(p.pattern), name, list(p.pattern.converters)


def _object_key(name: str) -> str | None:
    for key in sorted(OBJECT_FOR, key=len, reverse=True):
        if name == key or name.startswith(key + ":") or name.startswith(key + "-"):
            return OBJECT_FOR[key]
    return None


def page_paths(rich: RichWorld) -> list[str]:
    """Every page without parameters, and every detail page once per object of its kind."""
    paths = []
    for route, name, params in _patterns(get_resolver()):
        if route.startswith("api/") or name in SKIPPED_NAMES or route.endswith(SKIPPED_SUFFIXES):
            continue
        filled = ["/" + route]
        for param in params:
            key = EXTRA_KWARGS.get(param) or _object_key(name)
            found = rich.objects.get(key or "")
            chosen = found if isinstance(found, list) else [found] if found is not None else []
            filled = [
                p.replace(f"<uuid:{param}>", str(o.external_id)) for p in filled for o in chosen
            ]
        paths += filled
    return paths


def _codes() -> set[str]:
    """Stored codes nobody should read: every choice value with an underscore."""
    found: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("yiyang."):
            continue
        for f in model._meta.get_fields():
            for value, _label in getattr(f, "choices", None) or []:
                if isinstance(value, str) and "_" in value:
                    found.add(value)
    return found


def _labels() -> set[str]:
    return {m._meta.label_lower for m in apps.get_models() if m.__module__.startswith("yiyang.")}


def visible_text(body: str) -> str:
    return html.unescape(TAG.sub(" ", SCRIPT.sub(" ", body)))


def problems_in(
    text: str, language: str, allowed: set[str], codes: set[str], labels: set[str]
) -> list[str]:
    found = [f"repr {r!r}" for r in sorted(set(REPR.findall(text)))]
    words = set(re.findall(r"[A-Za-z0-9_.]+", text))
    found += [f"code {c!r}" for c in sorted(codes & words)]
    found += [f"model label {label!r}" for label in sorted(labels & words)]
    if language == "zh-hans":
        found += [f"repr {r!r}" for r in sorted(set(REPR_WORDS.findall(text)))]
        latin = {w for w in LATIN_WORD.findall(text) if w not in LATIN_ALLOWED and w not in allowed}
        found += [f"English {w!r}" for w in sorted(latin)]
        found += [f"half-width colon {m.group(0)!r}" for m in HALF_WIDTH_COLON.finditer(text)]
    return found


@pytest.fixture(scope="module")
def rich(django_db_setup: Any, django_db_blocker: Any) -> Iterator[RichWorld]:
    """One world for the module, rolled back at its end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with translation.override("zh-hans"):  # as the gateway and the pages store text
                yield build_rich_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _allowed_names(rich: RichWorld) -> set[str]:
    """Identifiers of the world that are Latin by nature: usernames, serials, licence numbers."""
    from yiyang.accounts.models import User

    names = set(User.objects.values_list("username", flat=True)) | {"test"}
    for obj in rich.objects.values():
        for attr in ("serial", "vendor", "model", "number", "licence_number"):
            if isinstance(value := getattr(obj, attr, None), str):
                names.update(re.findall(r"[A-Za-z]+", value))
    return names


ROLES = [str(r) for r in Role]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_internals(rich: RichWorld, db: None, role: str, language: str) -> None:
    client = login(Client(), rich.world.user[role])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    codes, labels, allowed = _codes(), _labels(), _allowed_names(rich)
    failures: list[str] = []
    seen = 0
    for path in page_paths(rich):
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        seen += 1
        text = visible_text(response.content.decode())
        found = problems_in(text, language, allowed, codes, labels)
        failures += [f"{path}: {p}" for p in found]
    assert seen > 0
    assert not failures, "\n".join(sorted(set(failures)))


def test_the_checker_finds_each_kind_of_internal() -> None:
    codes, labels = {"too_short"}, {"alerts.alert"}
    text = "{'tier': [0, 1]} too_short alerts.alert 受理用时: Fall None"
    found = problems_in(text, "zh-hans", set(), codes, labels)
    assert {p.split(" ")[0] for p in found} == {"repr", "code", "model", "English", "half-width"}
