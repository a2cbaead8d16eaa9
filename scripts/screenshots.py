#!/usr/bin/env python
"""Screenshots of each role's main pages, for review by eye (kept out of the repository).

    .venv/bin/python scripts/screenshots.py [--base http://127.0.0.1:8000] [--out /tmp/yiyang-shots]
        [--roles city_admin,operator] [--widths 1366,360] [--lang zh-hans]

Logs in to a running demo (``make demo``) as each role, opens that role's pages at each
width in Debian's Chromium and saves full-page PNGs named ``<role>-<page>-<width>.png``.
Prints one JSON line per page (status, load time, horizontal overflow) so that a page that
answers an error or spills sideways on a phone is found without opening every image.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("YIYANG_CHROMIUM", "/usr/bin/chromium")
PASSWORD = os.environ.get("YIYANG_DEMO_PASSWORD", "Yiyang-demo-2026")

# The pages each role works in (the home page first); a page a role may not open is not listed.
PAGES: dict[str, list[tuple[str, str]]] = {
    "city_admin": [
        ("home", "/"),
        ("dashboard", "/dashboard/"),
        ("elders", "/elders/"),
        ("facilities", "/facilities/"),
        ("settlement", "/settlement/"),
        ("calendar", "/supervision/calendar/"),
        ("complaints-import", "/supervision/complaints/import/"),
        ("schemes", "/supervision/schemes/"),
    ],
    "district_officer": [("home", "/"), ("dashboard", "/dashboard/"), ("elders", "/elders/")],
    "street_officer": [("home", "/"), ("dashboard", "/dashboard/")],
    "community_worker": [("home", "/"), ("elders", "/elders/"), ("orders", "/visits/orders/")],
    "provider_manager": [
        ("home", "/"),
        ("board", "/visits/board/"),
        ("review", "/visits/review/"),
        ("workforce", "/workforce/"),
    ],
    "caregiver": [("home", "/"), ("my-day", "/visits/my-day/")],
    "operator": [("home", "/"), ("console", "/alerts/"), ("screen", "/dashboard/screen/")],
    "assessor": [("home", "/"), ("assessments", "/assessments/")],
    "auditor": [("home", "/"), ("audit", "/audit/")],
    "family": [("home", "/"), ("family", "/family/")],
    "canteen": [("home", "/"), ("counter", "/meals/counter/")],
    "evaluator": [("home", "/"), ("ratings", "/supervision/ratings/")],
    "finance_officer": [
        ("home", "/"),
        ("statements", "/settlement/"),
        ("budgets", "/settlement/budgets/"),
    ],
}


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    default_out = Path(tempfile.gettempdir()) / "yiyang-shots"
    parser.add_argument("--out", default=default_out, type=Path, help="where the PNGs go")
    parser.add_argument("--roles", default=",".join(PAGES))
    parser.add_argument("--widths", default="1366,360")
    parser.add_argument("--lang", default="zh-hans", help="the Accept-Language to send")
    return parser.parse_args()


def shoot(browser: Any, args: argparse.Namespace, role: str, width: int) -> list[dict[str, Any]]:
    height = 1080 if width >= 1366 else 780
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale=args.lang,
        extra_http_headers={"Accept-Language": args.lang},
    )
    page = context.new_page()
    page.goto(f"{args.base}/accounts/login/")
    page.fill("#id_username", role)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_load_state("networkidle")
    if "/accounts/login/" in page.url:
        raise SystemExit(f"{role} could not log in (password: YIYANG_DEMO_PASSWORD)")
    results = []
    for name, path in PAGES[role]:
        started = time.perf_counter()
        response = page.goto(f"{args.base}{path}", wait_until="networkidle")
        seconds = round(time.perf_counter() - started, 2)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        file = args.out / f"{role}-{name}-{width}.png"
        page.screenshot(path=str(file), full_page=path != "/dashboard/screen/")
        results.append(
            {
                "role": role,
                "page": path,
                "width": width,
                "status": response.status if response else None,
                "seconds": seconds,
                "overflow_px": overflow,
                "file": str(file),
            }
        )
    context.close()
    return results


def main() -> int:
    args = parse()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    failed = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        for role in args.roles.split(","):
            for width in (int(w) for w in args.widths.split(",")):
                for result in shoot(browser, args, role, width):
                    failed += result["status"] != 200 or result["overflow_px"] > 0
                    print(json.dumps(result, ensure_ascii=False))
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
