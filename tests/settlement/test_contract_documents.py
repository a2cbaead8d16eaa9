"""Signed contract documents: type and size checked by content, encrypted at rest, listed,
downloaded (audited) and deleted on the contract's page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from tests.conftest import login
from tests.settlement.conftest import Books
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Role
from yiyang.settlement.models import ContractDocument
from yiyang.settlement.services import contract_document_add

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40


def test_documents_are_checked_by_content_and_stored_encrypted(books: Books) -> None:
    district = books.world.user[Role.DISTRICT_OFFICER]
    document = contract_document_add(
        actor=district, contract=books.contract, name="C:\\scans\\合同.pdf", data=PDF
    )
    assert document.name == "合同.pdf" and document.content_type == "application/pdf"
    stored = bytes(ContractDocument.objects.get(pk=document.pk).data)
    assert PDF not in stored and b"%PDF" not in stored
    assert (
        contract_document_add(
            actor=district, contract=books.contract, name="scan.JPG", data=JPEG
        ).content_type
        == "image/jpeg"
    )
    for name, data in (
        ("evil.pdf", b"<html><script>alert(1)</script>"),  # not a PDF inside
        ("scan.pdf", JPEG),  # an image named as a PDF
        ("empty.pdf", b""),
        ("page.html", PDF),
    ):
        with pytest.raises(ValidationError) as caught:
            contract_document_add(actor=district, contract=books.contract, name=name, data=data)
        assert "document" in caught.value.message_dict
    small = override_settings(SETTLEMENT_DOCUMENT_MAX_BYTES=len(PDF) - 1)
    with small, pytest.raises(ValidationError):
        contract_document_add(actor=district, contract=books.contract, name="a.pdf", data=PDF)
    assert ContractDocument.objects.count() == 2


def test_upload_list_download_and_delete_on_the_contract_page(books: Books) -> None:
    district = login(Client(), books.world.user[Role.DISTRICT_OFFICER])
    url = f"/settlement/contracts/{books.contract.external_id}/documents/"
    bad = district.post(url, {"document": SimpleUploadedFile("x.exe", b"MZ\x90\x00")})
    assert bad.status_code == 400 and not ContractDocument.objects.exists()
    done = district.post(url, {"document": SimpleUploadedFile("签字合同.pdf", PDF)})
    assert done.status_code == 302
    document = ContractDocument.objects.get()
    page = district.get(url).content.decode()
    assert "签字合同.pdf" in page
    answer = district.get(f"/settlement/contract-documents/{document.external_id}/")
    assert answer.status_code == 200 and answer.content == PDF
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="export", object_id=str(document.external_id)).exists()
    assert district.get("/settlement/contracts/").content.decode().count("/documents/") >= 1
    # The provider may read its contract's documents but not delete them.
    provider = login(Client(), books.manager)
    delete = f"/settlement/contract-documents/{document.external_id}/delete/"
    assert provider.post(delete).status_code == 403
    assert district.post(delete).status_code == 302
    assert not ContractDocument.objects.exists()


def test_a_file_too_large_is_refused_before_it_is_read(books: Books) -> None:
    district = login(Client(), books.world.user[Role.DISTRICT_OFFICER])
    url = f"/settlement/contracts/{books.contract.external_id}/documents/"
    with override_settings(SETTLEMENT_DOCUMENT_MAX_BYTES=100):
        big = district.post(url, {"document": SimpleUploadedFile("big.pdf", PDF + b"0" * 200)})
        api = district.post(
            "/api/v1/contract-documents/",
            {
                "contract": str(books.contract.external_id),
                "file": SimpleUploadedFile("big.pdf", PDF + b"0" * 200),
            },
        )
    assert big.status_code == 400
    assert api.status_code == 400 and "document" in api.json()
    assert not ContractDocument.objects.exists()
