"""Accessibility: axe-core (vendored in tests/browser/vendor, test-only) runs over every page
of every role at 1366 px and finds no serious or critical violation; on a 360 px phone the
caregiver's visit pages have touch targets of at least 44 px.

One browser, one session per role (its cookie set from a logged-in test client, so roles
that need two-factor authentication log in the same way), and each page's status read first
through the test client so the browser only opens pages the role may see."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.conftest import login
from tests.language.test_no_internals import page_paths
from tests.language.world import RichWorld, build_rich_world
from yiyang.core import exports
from yiyang.core.permissions import Role
from yiyang.elders.exports import ELDER_EXPORT

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
BLOCKING = ("serious", "critical")
# Minor findings that are fixed everywhere and must stay fixed.
ALSO_BLOCKING = ("empty-table-header",)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5), count: v.nodes.length,
  }));
}"""
MIN_TARGET = 44
# Interactive elements a thumb must hit; a link inside running text is exempt (WCAG 2.5.5).
MEASURE_TARGETS = """() => {
  const selector = "a, button, input:not([type=hidden]), select, textarea, summary, [role=button]";
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === "hidden") continue;
    if (el.tagName === "A" && el.closest("p, li:not(nav li), td, dd") && !el.matches(".btn")) continue;
    const label = el.tagName === "INPUT" ? el.closest("label") : null;
    if (label) {  // a check box, or a file input hidden in its button-like label
      const area = label.getBoundingClientRect();
      if (area.height >= 44 && area.width >= 44) continue;
    }
    if (box.height < 44 || box.width < 44) {
      small.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} "${(el.textContent || el.value || "").trim().slice(0, 20)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


def _session(context: Any, base: str, user: Any) -> Client:
    client = login(Client(), user)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": base,
            },
            {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": base},
        ]
    )
    return client


def _pages_of(client: Client, paths: list[str], *, once_per_route: bool = True) -> list[str]:
    """The pages the role may open (200, a whole HTML document: the fragments htmx swaps in
    are checked inside their pages), each route once."""
    found, routes = [], set()
    for path in paths:
        route = UUID.sub("<id>", path)
        if once_per_route and route in routes:
            continue
        response = client.get(path)
        if (
            response.status_code == 200
            and "html" in response.get("Content-Type", "")
            and b"<!DOCTYPE html>" in response.content[:200]
        ):
            found.append(path)
            routes.add(route)
    return found


# The walk is the longest browser test: it runs in two halves of the roles, each in a group of
# its own, so that the CI's two browser workers share it (tests/conftest.py).
HALVES = [pytest.param(half, marks=pytest.mark.xdist_group(f"axe-{half}")) for half in (0, 1)]


@pytest.mark.parametrize("half", HALVES)
def test_every_page_of_every_role_passes_axe_and_phone_targets(
    live_server: Any, browser: Any, settings: Any, tmp_path: Path, half: int
) -> None:
    """Every other role in each half; the phone check with the first half (one world for
    both checks: building it is much of the time)."""
    settings.MEDIA_ROOT = str(tmp_path)  # the export whose page is checked
    rich: RichWorld = build_rich_world()
    roles = [str(r) for r in Role][half::2]
    axe_failures = _axe_over_roles(rich, live_server.url, browser, roles)
    target_failures = _caregiver_touch_targets(rich, live_server.url, browser) if half == 0 else []
    assert not axe_failures, "\n".join(axe_failures)
    assert not target_failures, "\n".join(target_failures)


def _export_job_pages(rich: RichWorld) -> dict[str, list[str]]:
    """A finished export's page, which only its requester can open (the walk cannot find it)."""
    admin = rich.world.user[Role.CITY_ADMIN]
    job = exports.export_job_create(actor=admin, kind=ELDER_EXPORT, params={})
    exports.export_job_run(job.pk)  # queued on commit; run here whatever the backend
    return {str(Role.CITY_ADMIN): [f"/exports/{job.external_id}/"]}


def _axe_over_roles(rich: RichWorld, base: str, browser: Any, roles: list[str]) -> list[str]:
    paths = page_paths(rich)
    extra = _export_job_pages(rich)
    failures: list[str] = []
    report: dict[str, Any] = {}
    for role in roles:
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        context.add_init_script(path=str(AXE))
        try:
            client = _session(context, base, rich.world.user[role])
            page = context.new_page()
            for path in _pages_of(client, paths + extra.get(role, [])):
                page.goto(base + path)
                page.wait_for_load_state("load")
                found = page.evaluate(RUN_AXE)
                report[f"{role} {path}"] = found
                failures += [
                    f"{role} {path}: {v['id']} ({v['impact']}) ×{v['count']} {v['nodes']}"
                    for v in found
                    if v["impact"] in BLOCKING or v["id"] in ALSO_BLOCKING
                ]
        finally:
            context.close()
    if os.environ.get("YIYANG_AXE_REPORT"):  # one file per half
        target = Path(os.environ["YIYANG_AXE_REPORT"])
        target = target.with_name(f"{target.stem}-{roles[0]}{target.suffix}")
        target.write_text(json.dumps(report, ensure_ascii=False))
    return failures


def _caregiver_touch_targets(rich: RichWorld, base: str, browser: Any) -> list[str]:
    """The caregiver's day and visit pages on a 360 px phone: every control at least 44 px."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    failures: list[str] = []
    try:
        client = _session(context, base, rich.world.user[Role.CAREGIVER])
        wanted = ["/visits/my-day/"] + [f"/visits/{v.external_id}/" for v in rich.objects["visit"]]
        paths = _pages_of(client, wanted, once_per_route=False)
        assert paths == wanted
        page = context.new_page()
        for path in paths:
            page.goto(base + path)
            failures += [f"{path}: {small}" for small in page.evaluate(MEASURE_TARGETS)]
    finally:
        context.close()
    return failures
