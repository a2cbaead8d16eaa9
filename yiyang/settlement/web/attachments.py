"""A contract's signed documents: the list (with upload and delete for its buyer's
officers), and the download, scoped to who may see the contract and audited."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yiyang.core.permissions import Permission, has_perm, request_actor
from yiyang.core.web.forms import error_messages
from yiyang.core.web.saving import action_done
from yiyang.core.web.uploads import posted_file
from yiyang.settlement import selectors, services
from yiyang.settlement.documents import attachment
from yiyang.settlement.services.attachments import upload_bytes


@login_required
def contract_documents_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    contract = selectors.contract_get_for_actor(actor=actor, external_id=external_id)
    can_manage = has_perm(actor, Permission.MANAGE_CONTRACTS) and actor.scope.covers_division_code(
        contract.division_code
    )
    status = 200
    if request.method == "POST":

        def add() -> Any:
            upload = posted_file(request, "document", _("Choose a file to upload."))
            return services.contract_document_add(
                actor=actor, contract=contract, name=upload.name or "", data=upload_bytes(upload)
            )

        if action_done(request, add, _("The document is attached."), wording=error_messages):
            return redirect("settlement:contract-documents", external_id=contract.external_id)
        status = 400
    documents = selectors.contract_documents(actor=actor, contract=contract)
    return render(
        request,
        "settlement/contract_documents.html",
        {"contract": contract, "documents": documents, "can_manage": can_manage},
        status=status,
    )


@login_required
@require_GET
def contract_document_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    document = selectors.contract_document_get_for_actor(actor=actor, external_id=external_id)
    data = services.contract_document_read(actor=actor, document=document)
    return attachment(data, document.name, document.content_type)


@login_required
@require_POST
def contract_document_delete_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    document = selectors.contract_document_get_for_actor(actor=actor, external_id=external_id)
    contract = document.contract
    delete = partial(services.contract_document_delete, actor=actor, document=document)
    action_done(request, delete, _("The document is deleted."), wording=error_messages)
    return redirect("settlement:contract-documents", external_id=contract.external_id)
