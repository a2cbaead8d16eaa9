"""The public page (/public/): no login, Chinese first, only public fields. Each answer is
cached per language and query (SUPERVISION_PUBLIC_CACHE_SECONDS), so a burst of visitors
does not reach the database for every request; each client address is held to
SUPERVISION_PUBLIC_RATE_PER_MINUTE requests (0: no limit)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yiyang.core.clientip import client_ip
from yiyang.core.models import Division
from yiyang.facilities.choices import FacilityKind
from yiyang.supervision.selectors import PUBLIC_FIELDS, PUBLIC_KINDS, public_facilities

LANGUAGES = ("zh-hans", "en")
PAGE_SIZE = 30


def _limited(request: HttpRequest) -> bool:
    rate = settings.SUPERVISION_PUBLIC_RATE_PER_MINUTE
    if not rate:
        return False
    key = f"public-rate:{client_ip(request)}:{int(time.time() // 60)}"
    if cache.add(key, 1, 70):
        return False
    try:
        return cache.incr(key) > rate
    except ValueError:  # expired between add and incr
        return False


def _query(request: HttpRequest) -> dict[str, str]:
    district = request.GET.get("district", "")
    kind = request.GET.get("kind", "")
    page = request.GET.get("page", "1")
    return {
        "page": page if page.isdigit() and 0 < int(page) <= 1000 else "1",
        "district": district if district.isdigit() and len(district) == 6 else "",
        "kind": kind if kind in PUBLIC_KINDS else "",
        "q": request.GET.get("q", "").strip()[:40],
    }


def _language(request: HttpRequest) -> str:
    language = request.GET.get("lang", "zh-hans")
    return language if language in LANGUAGES else "zh-hans"


def _cached(key: str, build: Any) -> Any:
    """The cached answer; past its age, one request rebuilds it while the others keep
    serving the previous answer (no stampede on the database when an entry expires)."""
    digest = "public:" + hashlib.sha256(key.encode()).hexdigest()
    seconds = settings.SUPERVISION_PUBLIC_CACHE_SECONDS
    entry = cache.get(digest)
    now = time.monotonic()
    if entry is not None:
        fresh_until, value = entry
        if now < fresh_until or not cache.add(digest + ":lock", 1, 30):
            return value
    value = build()
    cache.set(digest, (now + seconds, value), seconds * 10 + 60)
    cache.delete(digest + ":lock")
    return value


def _too_many() -> HttpResponse:
    response = HttpResponse(_("Too many requests: try again in a minute."), status=429)
    response["Retry-After"] = "60"
    return response


def _respond(html: str) -> HttpResponse:
    response = HttpResponse(html)
    response["Cache-Control"] = f"public, max-age={settings.SUPERVISION_PUBLIC_CACHE_SECONDS}"
    return response


def _context(rows: list[dict[str, Any]], query: dict[str, str], language: str) -> dict[str, Any]:
    kinds = dict(FacilityKind.choices)
    for row in rows:
        row["kind_label"] = str(kinds.get(row["kind"], ""))
    districts = list(
        Division.objects.filter(level="district").order_by("code").values_list("code", "name")
    )
    return {
        "rows": rows,
        "query": query,
        "language": language,
        "districts": [(code[:6], name) for code, name in districts],
        "kinds": [(k, str(kinds[k])) for k in PUBLIC_KINDS],
        "hotline": settings.SUPERVISION_HOTLINE,
        "points": [
            {"name": r["name"], "lat": float(r["lat"]), "lng": float(r["lng"]), "level": r["level"]}
            for r in rows
            if r["lat"] is not None and r["lng"] is not None
        ],
    }


@require_GET
def public_home_view(request: HttpRequest) -> HttpResponse:
    if _limited(request):
        return _too_many()
    query, language = _query(request), _language(request)

    def build() -> str:
        page = int(query["page"])
        filters = {k: v for k, v in query.items() if k != "page"}
        rows = public_facilities(**filters, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
        with translation.override(language):
            context = _context(rows[:PAGE_SIZE], query, language)
            context.update(page=page, has_next=len(rows) > PAGE_SIZE, filters=filters)
            return render_to_string("supervision/public.html", context)

    return _respond(_cached(f"home:{language}:{sorted(query.items())}", build))


@require_GET
def public_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """One facility; 404 for anything not on the public list (unpublished, closed, a
    government office, an unknown id)."""
    if _limited(request):
        return _too_many()
    language = _language(request)

    def build() -> str:
        rows = public_facilities(external_id=str(external_id))
        if not rows:
            return ""
        with translation.override(language):
            context = _context(rows, {"district": "", "kind": "", "q": "", "page": "1"}, language)
            return render_to_string("supervision/public_detail.html", context | {"row": rows[0]})

    html = _cached(f"detail:{language}:{external_id}", build)
    if not html:
        raise Http404
    return _respond(html)


@require_GET
def public_json_view(request: HttpRequest) -> HttpResponse:
    """The list as JSON, ``?fields=name,level``: a field that is not public is a 404."""
    if _limited(request):
        return _too_many()
    fields = [f for f in request.GET.get("fields", ",".join(PUBLIC_FIELDS)).split(",") if f]
    if any(f not in PUBLIC_FIELDS for f in fields):
        raise Http404
    query = _query(request)
    page = int(query.pop("page"))

    def build() -> list[dict[str, Any]]:
        rows = public_facilities(**query, offset=(page - 1) * 200, limit=200)
        return [{f: row[f] for f in fields} for row in rows]

    data = _cached(f"json:{fields}:{page}:{sorted(query.items())}", build)
    return JsonResponse({"results": data}, json_dumps_params={"ensure_ascii": False})
