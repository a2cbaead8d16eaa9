"""Pages of government-purchased services: statements and their workflow, the review
queue by risk, budgets, contracts and payment releases. Pages call the app's selectors
and services only; forms post to one view per action and come back to the statement."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyang.core.downloads import PDF, XLSX, download_response
from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.lists import list_response, page_of
from yiyang.core.web.pagination import ListPaginator
from yiyang.core.web.saving import action_done
from yiyang.settlement import documents, selectors, services
from yiyang.settlement.choices import Decision, StatementStatus
from yiyang.settlement.display import factor_rows, hold_text, yuan
from yiyang.settlement.lifecycle import (
    line_decidable,
    statement_actions,
    statement_problems,
)
from yiyang.settlement.performance import contract_performance
from yiyang.settlement.sources import source_label


def _month(request: HttpRequest) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        return None


@login_required
def statement_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    month = _month(request)
    status = request.GET.get("status") or None
    statements = selectors.statement_list(actor=actor, filters={"month": month, "status": status})
    return list_response(
        request,
        "settlement/statement_list.html",
        statements,
        {
            "month": request.GET.get("month", ""),
            "status": status or "",
            "statuses": StatementStatus.choices,
            "due": selectors.steps_due(actor=actor),
            "today": datetime.date.today(),
        },
        paginator=ListPaginator,
    )


def _line_rows(actor: Any, statement: Any) -> list[dict[str, Any]]:
    rows = []
    for line in selectors.statement_lines(actor=actor, statement=statement)[:1000]:
        line.statement = statement
        decisions = list(line.decisions.all())
        rows.append(
            {
                "line": line,
                "source": source_label(line.source_kind),
                "holds": [hold_text(h.reason, h.detail) for h in line.holds.all()],
                "decision": decisions[-1] if decisions else None,
                "decidable": line_decidable(line, actor),
            }
        )
    return rows


@login_required
def statement_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    statement = selectors.statement_get_for_actor(actor=actor, external_id=external_id)
    actions = statement_actions(statement, actor)
    risks = []
    if has_perm(actor, Permission.VIEW_RISK):
        for risk in selectors.provider_risk(statement=statement)[:10]:
            risks.append({"risk": risk, "factors": factor_rows(risk.factors)})
    totals = [
        (_("Value of services"), yuan(statement.price_yuan)),
        (_("Allowance claimed"), yuan(statement.allowance_yuan)),
        (_("Long-term-care insurance"), yuan(statement.ltc_yuan)),
        (_("Self-pay"), yuan(statement.self_pay_yuan)),
        (_("Held"), yuan(statement.held_yuan)),
        (_("Reduced or rejected"), yuan(statement.withheld_yuan)),
        (_("Payable"), yuan(statement.payable_yuan)),
    ]
    return render(
        request,
        "settlement/statement_detail.html",
        {
            "statement": statement,
            "actions": actions,
            "rows": _line_rows(actor, statement),
            "totals": totals,
            "risks": risks,
            "decisions": Decision.choices,
            "can_dispute": statement_problems(statement, actor, "dispute") is None,
            "can_adjust": "adjust" in actions,
            "performance": contract_performance(statement),
        },
    )


STEPS = {
    "confirm": (services.statement_confirm, _("The statement is confirmed.")),
    "verify": (services.statement_verify, _("Your street's part is verified.")),
    "approve": (services.statement_approve, _("The statement is approved.")),
}


@require_POST
@login_required
def statement_step_view(request: HttpRequest, external_id: str, step: str) -> HttpResponse:
    actor = request_actor(request)
    statement = selectors.statement_get_for_actor(actor=actor, external_id=external_id)
    if step == "override":
        reason = request.POST.get("reason", "")
        override = partial(
            services.budget_override_record, actor=actor, statement=statement, reason=reason
        )
        action_done(request, override, _("The budget override is recorded."))
    elif step in STEPS:
        service, done = STEPS[step]
        action_done(request, partial(service, actor=actor, statement=statement), str(done))
    else:
        messages.error(request, _("Unknown action."))
    return redirect("settlement:statement", external_id=statement.external_id)


@require_POST
@login_required
def line_action_view(request: HttpRequest, external_id: str, step: str) -> HttpResponse:
    actor = request_actor(request)
    line = selectors.line_get_for_actor(actor=actor, external_id=external_id)
    post = request.POST
    steps: dict[str, tuple[Callable[..., Any], str]] = {
        "decide": (
            partial(
                services.line_decide,
                decision=post.get("decision", ""),
                reason=post.get("reason", ""),
                amount_yuan=post.get("amount_yuan") or None,
            ),
            _("The decision is recorded."),
        ),
        "dispute": (
            partial(services.line_dispute, reason=post.get("reason", "")),
            _("The dispute is recorded."),
        ),
        "adjust": (
            partial(
                services.adjustment_add,
                amount_yuan=post.get("amount_yuan", ""),
                reason=post.get("reason", ""),
            ),
            _("The adjustment will be settled next month."),
        ),
    }
    if step in steps:
        service, done = steps[step]
        action_done(request, partial(service, actor=actor, line=line), done)
    return redirect("settlement:statement", external_id=line.statement.external_id)


@login_required
def statement_xlsx_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    statement = selectors.statement_get_for_actor(actor=actor, external_id=external_id)
    data = documents.statement_xlsx(
        statement, selectors.statement_lines(actor=actor, statement=statement)
    )
    name = f"statement-{statement.month:%Y-%m}-{statement.external_id}.xlsx"
    return download_response(data, name, XLSX)


@login_required
def statement_pdf_view(request: HttpRequest, external_id: str) -> HttpResponse:
    from yiyang.settlement.pdf import statement_pdf

    actor = request_actor(request)
    statement = selectors.statement_get_for_actor(actor=actor, external_id=external_id)
    data = statement_pdf(statement, selectors.statement_lines(actor=actor, statement=statement))
    name = f"statement-{statement.month:%Y-%m}-{statement.external_id}.pdf"
    return download_response(data, name, PDF)


@login_required
def review_queue_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_RISK)
    queryset = selectors.review_queue(actor=actor, month=_month(request))
    page = page_of(request, queryset, 25)
    rows = selectors.risk_rows(list(page.object_list))
    for row in rows:
        row["factors"] = factor_rows(row["risk"].factors) if row["risk"] else []
    return render(request, "settlement/review_queue.html", {"rows": rows, "page": page})


@login_required
def budget_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    rows = []
    for line in selectors.budget_list(actor=actor):
        figures = selectors.budget_figures(line)
        rows.append(
            {
                "line": line,
                "amount": yuan(figures.amount),
                "spent": yuan(figures.spent),
                "committed": yuan(figures.committed),
                "remaining": yuan(figures.remaining),
                "over": figures.remaining < 0,
            }
        )
    can_manage = has_perm(actor, Permission.MANAGE_BUDGETS)
    return render(request, "settlement/budget_list.html", {"rows": rows, "can_manage": can_manage})


@login_required
def contract_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    contracts = selectors.contract_list(actor=actor)
    return list_response(
        request,
        "settlement/contract_list.html",
        contracts,
        {"can_manage": has_perm(actor, Permission.MANAGE_CONTRACTS)},
        paginator=ListPaginator,
    )


@login_required
def release_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    releases = selectors.release_list(actor=actor).prefetch_related("statements")[:200]
    approved = []
    if has_perm(actor, Permission.RELEASE_PAYMENTS):
        approved = list(
            selectors.statement_list(
                actor=actor, filters={"status": StatementStatus.APPROVED}
            ).filter(release__isnull=True)[:500]
        )
    return render(
        request,
        "settlement/release_list.html",
        {
            "releases": releases,
            "approved": approved,
            "can_release": has_perm(actor, Permission.RELEASE_PAYMENTS),
        },
    )


@require_POST
@login_required
def release_create_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    ids = request.POST.getlist("statements")

    def create() -> Any:
        statements = list(selectors.statement_list(actor=actor).filter(external_id__in=ids))
        return services.release_create(actor=actor, statements=statements)

    action_done(
        request,
        create,
        lambda release: _("Release %(number)s is made.") % {"number": release.number},
    )
    return redirect("settlement:releases")


@require_POST
@login_required
def release_paid_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    release = selectors.release_get_for_actor(actor=actor, external_id=external_id)
    reference = request.POST.get("reference", "")
    paid = partial(services.release_mark_paid, actor=actor, release=release, reference=reference)
    action_done(request, paid, _("The payment is recorded."))
    return redirect("settlement:releases")


@login_required
def payment_file_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    release = selectors.release_get_for_actor(actor=actor, external_id=external_id)
    statements = selectors.release_statements(release)
    as_csv = request.GET.get("format") == "csv"
    return documents.payment_file(release, statements, as_csv=as_csv)


@login_required
def family_bill_view(request: HttpRequest) -> HttpResponse:
    """Each linked elder's monthly bill, printable (the month before by default)."""
    month = _month(request)
    if month is None:
        first = datetime.date.today().replace(day=1)
        month = (first - datetime.timedelta(days=1)).replace(day=1)
    bills = selectors.family_bills(actor=request_actor(request), month=month)
    elder = request.GET.get("elder")
    if elder and request.GET.get("format") == "pdf":
        from django.http import Http404

        from yiyang.settlement.pdf import bill_pdf

        bill = next((b for b in bills if str(b.elder.external_id) == elder), None)
        if bill is None:
            raise Http404
        return download_response(bill_pdf(bill), f"bill-{month:%Y-%m}.pdf", PDF)
    return render(request, "settlement/family_bill.html", {"bills": bills, "month": month})
