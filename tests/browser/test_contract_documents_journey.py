"""A district officer attaches a signed contract in a real browser and the provider
downloads it; the new-contract form shows only the fields of the kind chosen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_visit_journey import log_in
from tests.conftest import World
from tests.settlement.conftest import Books, make_books
from yiyang.core.permissions import Role
from yiyang.settlement.models import ContractDocument

pytestmark = pytest.mark.django_db(transaction=True)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def books(world: World) -> Books:
    return make_books(world)


def test_attach_download_and_the_form_of_each_kind(
    live_server: Any, browser: Any, books: Books, tmp_path: Any
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    log_in(page, live_server.url, str(Role.DISTRICT_OFFICER))
    page.goto(f"{live_server.url}/settlement/contracts/")
    with page.expect_navigation():
        page.locator(f"a[href$='/contracts/{books.contract.external_id}/documents/']").click()
    scan = tmp_path / "签字合同.pdf"
    scan.write_bytes(PDF)
    page.set_input_files("#document-form input[name=document]", str(scan))
    with page.expect_navigation():
        page.click("#document-form button[type=submit]")
    assert page.locator("#contract-documents").inner_text().count("签字合同.pdf") == 1
    assert ContractDocument.objects.filter(contract=books.contract).count() == 1
    page.goto(f"{live_server.url}/settlement/contracts/new/?kind=meals")
    assert page.locator("#contract-form input[name^=price_]").count() == 0
    assert page.locator("#contract-form input[name=package_yuan]").count() == 0
    page.goto(f"{live_server.url}/settlement/contracts/new/?kind=package")
    assert page.locator("#contract-form input[name=package_yuan]").count() == 1
    assert page.locator("#contract-form input[name^=price_]").count() == 0
    page.goto(f"{live_server.url}/settlement/contracts/new/")
    assert page.locator("#contract-form input[name^=price_]").count() > 0
    context.clear_cookies()
    provider = context.new_page()
    log_in(provider, live_server.url, "manager_p")
    provider.goto(f"{live_server.url}/settlement/contracts/{books.contract.external_id}/documents/")
    assert provider.locator("#document-form").count() == 0
    with provider.expect_download() as info:
        provider.click("#contract-documents a")
    with open(info.value.path(), "rb") as handle:
        assert handle.read() == PDF
