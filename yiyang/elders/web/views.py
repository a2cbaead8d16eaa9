"""The registry's pages: the list, the profile, its history, creating and editing.
Contacts and consents, duplicates, imports, exports and the access log are in the
sibling modules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import TextChoices
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from yiyang.core import display
from yiyang.core.models import AuditEvent, Division
from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.selectors import division_filter_choices
from yiyang.core.web.forms import changed_values
from yiyang.core.web.history import history_rows
from yiyang.core.web.lists import PAGE_SIZE, clean_filters, code_label, page_of
from yiyang.core.web.pagination import CappedPaginator, ListPaginator
from yiyang.core.web.saving import edit_response
from yiyang.elders import services
from yiyang.elders.choices import (
    ETHNICITIES,
    AbilityLevel,
    ChronicCondition,
    ConsentPurpose,
    EconomicStatus,
    ElderStatus,
    InsuranceType,
    LivingArrangement,
    LocationSource,
    MaritalStatus,
    Relation,
    SensitiveField,
    Sex,
    Tag,
)
from yiyang.elders.filtersets import ElderFilterSet
from yiyang.elders.models import Elder
from yiyang.elders.permissions import visible_fields
from yiyang.elders.selectors import (
    duplicate_list,
    elder_consents,
    elder_contacts,
    elder_get_for_actor,
    elder_history,
    elder_list,
)
from yiyang.elders.sensitive import MASK
from yiyang.elders.tags import age_on, elder_tags
from yiyang.elders.web.forms import SENSITIVE_FORM_FIELDS, ConsentWithdrawForm, ElderForm

SEARCH_COUNT_CAP = 1000  # a name search shows "more than 1,000" past this


# History: the label of each changed field and the code list its values come from.
HISTORY_LABELS: dict[str, Any] = {
    "name": gettext_lazy("Full name"),
    "id_number": gettext_lazy("ID number"),
    "sex": gettext_lazy("Sex"),
    "birth_date": gettext_lazy("Birth date"),
    "ethnicity": gettext_lazy("Ethnicity"),
    "phones": gettext_lazy("Phone numbers"),
    "community": gettext_lazy("Community"),
    "address": gettext_lazy("Address"),
    "lat": gettext_lazy("Latitude"),
    "lng": gettext_lazy("Longitude"),
    "location_source": gettext_lazy("Location source"),
    "living_arrangement": gettext_lazy("Living arrangement"),
    "marital_status": gettext_lazy("Marital status"),
    "economic_status": gettext_lazy("Economic status"),
    "insurance_type": gettext_lazy("Medical insurance"),
    "insurance_number": gettext_lazy("Medical-insurance number"),
    "chronic_conditions": gettext_lazy("Chronic conditions"),
    "disability_certificate": gettext_lazy("Disability certificate"),
    "family_doctor": gettext_lazy("Family doctor"),
    "ability_level": gettext_lazy("Ability level"),
    "status": gettext_lazy("Status"),
    "status_changed_on": gettext_lazy("Status since"),
    "deceased_on": gettext_lazy("Date of death"),
    "duplicate_of": gettext_lazy("Duplicate of"),
    "contact_added": gettext_lazy("Contact added"),
    "contact": gettext_lazy("Contact"),
    "contact_removed": gettext_lazy("Contact removed"),
    "consent_given": gettext_lazy("Consent given"),
    "consent_withdrawn": gettext_lazy("Consent withdrawn"),
    "source": gettext_lazy("Source"),
    "family_member": gettext_lazy("Family member"),
}


HISTORY_CHOICES: dict[str, type[TextChoices]] = {
    "sex": Sex,
    "living_arrangement": LivingArrangement,
    "marital_status": MaritalStatus,
    "economic_status": EconomicStatus,
    "insurance_type": InsuranceType,
    "ability_level": AbilityLevel,
    "status": ElderStatus,
    "consent_withdrawn": ConsentPurpose,
    "location_source": LocationSource,
}


def _age_and_tags(elder: Elder, today: Any) -> dict[str, Any]:
    """How the list and the profile show an elder's age and tags (80+, living alone...)."""
    return {
        "age": age_on(elder.birth_date, today),
        "tags": [Tag(tag).label for tag in elder_tags(elder, today)],
    }


@login_required
def elder_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = clean_filters(request.GET)
    elders = elder_list(actor=actor, filters=filters)
    # A text search may match much of the city: count at most SEARCH_COUNT_CAP of it.
    paginator = (
        CappedPaginator(elders, PAGE_SIZE, cap=SEARCH_COUNT_CAP)
        if (filters.get("q") or "").strip()
        else ListPaginator(elders, PAGE_SIZE)
    )
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [{"elder": elder, **_age_and_tags(elder, today)} for elder in page.object_list]
    # Division choices: districts, streets and communities in the actor's jurisdiction.
    divisions = division_filter_choices(actor=actor)
    can_review = has_perm(actor, Permission.REVIEW_DUPLICATES)
    return render(
        request,
        "elders/elder_list.html",
        {
            "page": page,
            "rows": rows,
            "filterset": ElderFilterSet(filters),
            "divisions": divisions,
            "export_query": filters.urlencode(),
            "tags": filters.getlist("tag"),
            "age_bands": filters.getlist("age_band"),
            "statuses": filters.getlist("status"),
            "living_arrangements": filters.getlist("living_arrangement"),
            "economic_statuses": filters.getlist("economic_status"),
            "can_create": has_perm(actor, Permission.MANAGE_ELDERS),
            "can_import": has_perm(actor, Permission.IMPORT_ELDERS),
            "can_export": has_perm(actor, Permission.EXPORT_DATA),
            "can_review": can_review,
            "can_view_access_log": has_perm(actor, Permission.VIEW_ACCESS_LOG),
            "open_duplicates": duplicate_list(actor=actor).count() if can_review else 0,
        },
    )


def _history_value(key: str, value: Any, communities: dict[str, str]) -> str:
    if value in (None, "", [], {}):
        return "—"
    if key in HISTORY_CHOICES and isinstance(value, str):
        return code_label(HISTORY_CHOICES[key], value)
    if key == "ethnicity":
        return ETHNICITIES.get(str(value), str(value))
    if key == "community":
        return communities.get(str(value), str(value))
    if key == "chronic_conditions" and isinstance(value, list):
        return "、".join(code_label(ChronicCondition, code) for code in value)
    if key == "consent_given" and isinstance(value, str):
        # "purpose recipient date" as the consent service writes it.
        purpose, _sep, rest = value.partition(" ")
        return " ".join([code_label(ConsentPurpose, purpose), *rest.split()])
    if key == "source" and value == "import":
        return _("Spreadsheet import")
    if isinstance(value, dict):  # a contact as history keeps it
        parts = [str(value.get("name") or "")]
        if value.get("relation"):
            parts.append(f"({code_label(Relation, value['relation'])})")
        if value.get("phones"):
            parts.append(display.words(value["phones"]))
        if value.get("first"):
            parts.append(_("first to call"))
        return " ".join(p for p in parts if p)
    if key == "family_member" and isinstance(value, list) and len(value) == 3:  # user, relation, on
        return f"{value[0]} · {code_label(Relation, str(value[1]))}" + ("" if value[2] else " ×")
    return display.display_value(value)


def _history_rows(events: Iterable[AuditEvent]) -> list[dict[str, Any]]:
    """Events with their changes as (label, old, new), sealed values left out. Community
    codes are named with one query for the whole page."""
    events = list(events)
    codes = {
        str(value)
        for event in events
        for value in (event.changes.get("community") or [])
        if isinstance(value, str)
    }
    communities = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    return history_rows(
        events, labels=HISTORY_LABELS, value=lambda key, v: _history_value(key, v, communities)
    )


@login_required
def elder_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    elder = elder_get_for_actor(actor=actor, external_id=external_id)
    # Once per page view: clear values for the fields the role may see, logged.
    revealed = services.elder_reveal(actor=actor, elder=elder)
    visible = set(visible_fields(actor))
    today = timezone.localdate()
    contacts = [
        {
            "contact": contact,
            "phones": ", ".join(revealed.contact_phones[contact.pk])
            if contact.pk in revealed.contact_phones
            else contact.phones_masked,
        }
        for contact in elder_contacts(elder=elder)
    ]
    if SensitiveField.INSURANCE_NUMBER in revealed.fields:
        insurance_number = revealed.insurance_number
    else:
        insurance_number = MASK if elder.insurance_number_ciphertext else ""
    health = revealed.health
    street = elder.community.parent
    district = street.parent if street is not None else None
    can_manage = has_perm(actor, Permission.MANAGE_ELDERS)
    return render(
        request,
        "elders/elder_detail.html",
        {
            "elder": elder,
            "revealed": revealed,
            **_age_and_tags(elder, today),
            "phones": ", ".join(revealed.phones)
            if SensitiveField.PHONES in revealed.fields
            else elder.phones_masked,
            "insurance_number": insurance_number,
            "health_hidden": SensitiveField.HEALTH not in visible,
            "health": health,
            "conditions": [code_label(ChronicCondition, c) for c in health.chronic_conditions]
            if health is not None
            else [],
            "ethnicity": ETHNICITIES.get(elder.ethnicity, ""),
            "street": street,
            "district": district,
            "contacts": contacts,
            "consents": elder_consents(elder=elder),
            "withdraw_form": ConsentWithdrawForm(),
            "history": _history_rows(elder_history(actor=actor, elder=elder)[:5]),
            "can_manage": can_manage,
            "can_view_visits": has_perm(actor, Permission.VIEW_VISITS),
            "can_view_alerts": has_perm(actor, Permission.VIEW_ALERTS),
        },
    )


@login_required
def elder_history_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    elder = elder_get_for_actor(actor=actor, external_id=external_id)
    page = page_of(request, elder_history(actor=actor, elder=elder))
    return render(
        request,
        "elders/elder_history.html",
        {"elder": elder, "page": page, "rows": _history_rows(page.object_list)},
    )


def _elder_initial(elder: Elder, visible: list[str]) -> dict[str, Any]:
    """The edit form's values; sensitive ones only when the actor may see them."""
    record = services.record_of(elder)
    initial = {name: record.get(name) for name in services.RECORD_FIELDS}
    for group, names in SENSITIVE_FORM_FIELDS.items():
        if group not in visible:
            for name in names:
                initial.pop(name, None)
    return initial


def _elder_changes(form: ElderForm) -> dict[str, Any]:
    values = changed_values(form)
    if "id_number" in values:
        # Sex and birth date follow a corrected ID number unless given anew.
        values.setdefault("sex", "")
        values.setdefault("birth_date", None)
    return values


@require_http_methods(["GET", "POST"])
@login_required
def elder_edit_view(request: HttpRequest, external_id: str | None = None) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_ELDERS)
    elder = elder_get_for_actor(actor=actor, external_id=external_id) if external_id else None
    visible = visible_fields(actor)
    initial = _elder_initial(elder, visible) if elder is not None else {}
    form = ElderForm(
        request.POST or None,
        initial=initial,
        actor=actor,
        visible=visible,
        is_duplicate=elder is not None and elder.status == ElderStatus.DUPLICATE,
    )
    if request.method == "GET" and elder is not None and set(visible) & set(SENSITIVE_FORM_FIELDS):
        services.elder_reveal(actor=actor, elder=elder)  # the prefilled values are logged
    write: Callable[..., Elder] = partial(services.elder_create, actor=actor)
    values: Callable[[ElderForm], Mapping[str, Any]] | None = None
    if elder is not None:
        write, values = partial(services.elder_update, actor=actor, elder=elder), _elder_changes
    return edit_response(
        request,
        form,
        write,
        values=values,
        detail="elders:detail",
        template="elders/elder_form.html",
        context={"elder": elder},
    )
