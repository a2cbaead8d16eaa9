"""One month of government-purchased services from draft to paid in a real browser,
across the five roles: the provider disputes a held line and confirms, the street office
decides the line and verifies, the district approves, city finance releases, downloads the
payment file and records the payment; the statement downloads as .xlsx and PDF."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser.test_visit_journey import log_in
from tests.conftest import World
from tests.settlement.conftest import Books, make_books
from yiyang.core.permissions import Role
from yiyang.settlement import services
from yiyang.settlement.models import Statement

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def books(world: World) -> Books:
    return make_books(world)


def _submit(page: Any, target: Any) -> None:
    """Click a form's button and wait for the page the post redirects to."""
    with page.expect_navigation():
        (page.locator(target) if isinstance(target, str) else target).click()


def _download(page: Any, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    path = info.value.path()
    with open(path, "rb") as handle:
        return handle.read()


def test_a_month_from_draft_to_paid_across_the_five_roles(
    live_server: Any,
    browser: Any,
    books: Books,
) -> None:
    books.visit(day=3)
    held = books.visit(elder="zhang", day=4, caregiver="li", review_status="pending")
    statement = services.settle_month(
        actor=books.world.user[Role.FINANCE_OFFICER], month=books.month
    ).statements[0]  # the scheduled job's draft
    url = f"{live_server.url}/settlement/statements/{statement.external_id}/"
    line = statement.lines.get(source_id=held.id)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)

    def as_user(username: str) -> Any:
        context.clear_cookies()
        page = context.new_page()
        log_in(page, live_server.url, username)
        page.goto(url)
        return page

    page = as_user("manager_p")
    row = page.locator(f"tr[data-line='{line.external_id}']")
    row.locator("input[name=reason]").fill("服务照片可以证明上门")
    _submit(page, row.locator("button[type=submit]"))
    _submit(page, "#do-confirm")
    page.close()
    assert Statement.objects.get(pk=statement.pk).status == "confirmed"

    page = as_user(str(Role.STREET_OFFICER))
    row = page.locator(f"tr[data-line='{line.external_id}']")
    row.locator("select[name=decision]").select_option("reduce")
    row.locator("input[name=amount_yuan]").fill("12.50")
    row.locator(".decide-form input[name=reason]").fill("服务时长不足，按比例支付")
    _submit(page, row.locator(".decide-form button[type=submit]"))
    _submit(page, "#do-verify")
    page.close()
    assert Statement.objects.get(pk=statement.pk).status == "verified"

    page = as_user(str(Role.DISTRICT_OFFICER))
    _submit(page, "#do-approve")
    page.close()
    approved = Statement.objects.get(pk=statement.pk)
    assert approved.status == "approved"
    assert approved.payable_yuan == Decimal("42.50")  # 30.00 + 12.50

    page = as_user(str(Role.FINANCE_OFFICER))
    xlsx = load_workbook(io.BytesIO(_download(page, "#download-statement")))
    assert xlsx.active.max_row > 6
    assert _download(page, "#download-statement-pdf").startswith(b"%PDF")
    page.goto(f"{live_server.url}/settlement/releases/")
    page.check(f"input[name=statements][value='{statement.external_id}']")
    _submit(page, "#do-release")
    page.goto(f"{live_server.url}/settlement/releases/")
    rows = list(
        csv.reader(io.StringIO(_download(page, "#releases a[href$='?format=csv']").decode()))
    )
    assert Decimal(rows[-1][-1]) == Decimal("42.50")  # the file's total
    page.locator("#releases input[name=reference]").fill("GK-2026-0001")
    _submit(page, "#releases button[type=submit]")
    page.close()
    paid = Statement.objects.get(pk=statement.pk)
    assert (paid.status, paid.payment_reference) == ("paid", "GK-2026-0001")
    context.close()
