"""Pages that set the money up: a budget line, its districts' shares, a purchase contract
(new or changed). The forms only gather input; the services check and write it, and
their errors come back on the fields."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiyang.core.choices import DivisionLevel
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, request_actor, require_perm
from yiyang.core.web.forms import DatePickerField
from yiyang.core.web.saving import form_saved
from yiyang.organisations.selectors import organisation_queryset
from yiyang.services.models import ServiceItem
from yiyang.settlement import selectors, services
from yiyang.settlement.choices import ContractScope, FundPurpose, FundSource
from yiyang.settlement.models import BudgetLine, Contract


def _divisions(actor: Actor, *levels: str) -> Any:
    return actor.scope.apply(
        Division.objects.filter(level__in=levels).order_by("code"), division_code_field="code"
    )


class NamedChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "name", obj))


class NamedMultipleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "name", obj))


class BudgetLineForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=FundSource.choices)
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), choices=FundPurpose.choices)
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    amount_yuan = forms.CharField(label=gettext_lazy("Amount (yuan)"), max_length=20)
    city = NamedChoice(label=gettext_lazy("City"), queryset=Division.objects.none())

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["city"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _divisions(actor, DivisionLevel.CITY)


class AllocationForm(forms.Form):
    district = NamedChoice(label=gettext_lazy("District"), queryset=Division.objects.none())
    amount_yuan = forms.CharField(label=gettext_lazy("Amount (yuan)"), max_length=20)

    def __init__(self, *args: Any, actor: Actor, line: BudgetLine, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["district"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Division.objects.filter(
            level=DivisionLevel.DISTRICT, code__startswith=line.city.code_prefix
        ).order_by("code")


KINDS = ("home_care", "package", "meals")


def contract_kind(contract: Contract) -> str:
    """Which form a contract is edited with: unit prices, a monthly package, meals only."""
    if contract.scope == ContractScope.MEALS:
        return "meals"
    return "package" if contract.package_yuan is not None else "home_care"


class ContractForm(forms.Form):
    """The contract's fields, then what applies to its kind only: one unit price per
    service of the city's list (left empty: the contract does not buy it) for a home-care
    contract; the amount per elder, the minimum of verified visits and the services it
    covers for a monthly package; nothing more for a meal-only contract (its meals are
    priced at the counter)."""

    number = forms.CharField(label=gettext_lazy("Contract number"), max_length=40)
    provider = NamedChoice(label=gettext_lazy("Provider"), queryset=Division.objects.none())
    buyer = NamedChoice(label=gettext_lazy("Buyer"), queryset=Division.objects.none())
    budget_line = NamedChoice(label=gettext_lazy("Budget line"), queryset=Division.objects.none())
    starts_on = DatePickerField(label=gettext_lazy("From"))
    ends_on = DatePickerField(label=gettext_lazy("To"))
    cap_yuan = forms.CharField(label=gettext_lazy("cap (yuan)"), max_length=20)
    areas = NamedMultipleChoice(
        label=gettext_lazy("Divisions served"), queryset=Division.objects.none()
    )
    on_time_target = forms.DecimalField(
        label=gettext_lazy("on-time rate target (%)"), initial=90, max_digits=5, decimal_places=2
    )
    verified_target = forms.DecimalField(
        label=gettext_lazy("verified share target (%)"),
        initial=95,
        max_digits=5,
        decimal_places=2,
    )
    complaints_limit = forms.IntegerField(
        label=gettext_lazy("complaints allowed a month"), initial=5, min_value=0
    )
    evaluation_target = forms.DecimalField(
        label=gettext_lazy("evaluation score target (% of points)"),
        initial=80,
        max_digits=5,
        decimal_places=2,
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        actor: Actor,
        contract: Contract | None = None,
        kind: str = "home_care",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = contract_kind(contract) if contract is not None else kind
        choices = {
            "provider": organisation_queryset(actor=actor).order_by("name"),
            "buyer": _divisions(actor, DivisionLevel.CITY, DivisionLevel.DISTRICT),
            # Any line of the actor's city (the service checks the buyer's city).
            "budget_line": BudgetLine.objects.filter(
                division_code__startswith=_city(actor)
            ).order_by("-year", "name"),
            "areas": _divisions(actor, DivisionLevel.DISTRICT, DivisionLevel.STREET),
        }
        for name, queryset in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset
        if contract is not None:  # neither who nor what a contract buys changes
            del self.fields["provider"]
        self.items = list(
            ServiceItem.objects.filter(city__code__startswith=_city(actor)).order_by("code")
        )
        if self.kind == "package":
            self._package_fields(contract)
        elif self.kind == "home_care":
            self._price_fields(contract)

    def _price_fields(self, contract: Contract | None) -> None:
        prices = {i.item_id: i.unit_price for i in contract.items.all()} if contract else {}
        for item in self.items:
            self.fields[f"price_{item.code}"] = forms.DecimalField(
                label=_("Unit price of %(service)s (yuan)") % {"service": item.name},
                required=False,
                max_digits=10,
                decimal_places=2,
                initial=prices.get(item.pk),
            )

    def _package_fields(self, contract: Contract | None) -> None:
        self.fields["package_yuan"] = forms.CharField(
            label=gettext_lazy("Monthly package per elder (yuan)"),
            max_length=20,
            initial=contract.package_yuan if contract else None,
        )
        self.fields["package_min_visits"] = forms.IntegerField(
            label=gettext_lazy("Verified visits a month for the full package (0: any)"),
            min_value=0,
            max_value=62,
            initial=contract.package_min_visits if contract else 0,
        )
        self.fields["package_services"] = forms.MultipleChoiceField(
            label=gettext_lazy("Services the package covers"),
            choices=[(i.code, i.name) for i in self.items],
            widget=forms.CheckboxSelectMultiple,
            initial=[i.item.code for i in contract.items.all()] if contract else [],
        )

    def prices(self) -> dict[ServiceItem, Any]:
        if self.kind == "package":
            chosen = set(self.cleaned_data.get("package_services") or [])
            return {item: None for item in self.items if item.code in chosen}
        return {
            item: self.cleaned_data[f"price_{item.code}"]
            for item in self.items
            if self.cleaned_data.get(f"price_{item.code}") is not None
        }


def _city(actor: Actor) -> str:
    return (actor.scope.division_prefix or "")[:4]


@login_required
def budget_create_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_BUDGETS)
    form = BudgetLineForm(request.POST or None, actor=actor)
    write = partial(services.budget_line_create, actor=actor)
    if form_saved(request, form, write, _("The budget line is recorded.")):
        return redirect("settlement:budgets")
    return _form_page(request, form, _("New budget line"), "budget-form")


@login_required
def allocation_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_BUDGETS)
    line = selectors.budget_get_for_actor(actor=actor, external_id=external_id)
    form = AllocationForm(request.POST or None, actor=actor, line=line)
    write = partial(services.allocation_set, actor=actor, line=line)
    if form_saved(request, form, write, _("The district's share is recorded.")):
        return redirect("settlement:budgets")
    title = _("A district's share of %(line)s") % {"line": line.name}
    return _form_page(request, form, title, "allocation-form")


def _contract_values(form: ContractForm) -> dict[str, Any]:
    data = {
        k: v
        for k, v in form.cleaned_data.items()
        if not k.startswith("price_")
        and k != "package_services"
        and not (k == "evaluation_target" and v is None)
    }
    data["scope"] = ContractScope.MEALS if form.kind == "meals" else ContractScope.HOME_CARE
    data["areas"] = list(data["areas"])
    data["prices"] = form.prices()
    return data


@login_required
def contract_create_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_CONTRACTS)
    kind = request.GET.get("kind", "home_care")
    kind = kind if kind in KINDS else "home_care"
    form = ContractForm(request.POST or None, actor=actor, kind=kind)
    write = partial(services.contract_create, actor=actor)
    if form_saved(request, form, write, _("The contract is recorded."), values=_contract_values):
        return redirect("settlement:contracts")
    kinds = [
        (key, label, key == kind)
        for key, label in (
            ("home_care", _("Home-care services at unit prices")),
            ("package", _("Monthly package per elder")),
            ("meals", _("Meals only (a canteen's meal subsidy)")),
        )
    ]
    return _form_page(request, form, _("New purchase contract"), "contract-form", kinds=kinds)


@login_required
def contract_edit_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_CONTRACTS)
    contract = selectors.contract_get_for_actor(actor=actor, external_id=external_id)
    initial = {
        "number": contract.number,
        "buyer": contract.buyer,
        "budget_line": contract.budget_line,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "cap_yuan": contract.cap_yuan,
        "areas": [a.division for a in contract.areas.all()],
        "on_time_target": contract.on_time_target,
        "verified_target": contract.verified_target,
        "complaints_limit": contract.complaints_limit,
        "evaluation_target": contract.evaluation_target,
    }
    form = ContractForm(request.POST or None, actor=actor, contract=contract, initial=initial)
    write = partial(services.contract_update, actor=actor, contract=contract)
    if form_saved(request, form, write, _("The contract is changed."), values=_contract_values):
        return redirect("settlement:contracts")
    title = _("Change contract %(number)s") % {"number": contract.number}
    return _form_page(request, form, title, "contract-form")


def _form_page(
    request: HttpRequest, form: forms.Form, title: str, form_id: str, **extra: Any
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": title, "form_id": form_id, **extra}
    return render(request, "settlement/setup_form.html", context, status=status)
