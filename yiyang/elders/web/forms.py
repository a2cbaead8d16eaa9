from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiyang.core.choices import DivisionLevel
from yiyang.core.models import Division
from yiyang.core.permissions import Actor
from yiyang.core.selectors import division_queryset
from yiyang.core.web.forms import DatePickerField, limit_choices, optional_choice, with_blank
from yiyang.elders.choices import (
    ETHNICITY_CHOICES,
    ChronicCondition,
    ConsentGiver,
    ConsentPurpose,
    EconomicStatus,
    ElderStatus,
    InsuranceType,
    LivingArrangement,
    MaritalStatus,
    Relation,
    SensitiveField,
    Sex,
)

# The form fields each sensitive field group covers: shown (and prefilled) only to roles
# that may see the group unmasked.
SENSITIVE_FORM_FIELDS: dict[str, tuple[str, ...]] = {
    SensitiveField.ID_NUMBER: ("id_number",),
    SensitiveField.PHONES: ("phones",),
    SensitiveField.INSURANCE_NUMBER: ("insurance_number",),
    SensitiveField.HEALTH: ("chronic_conditions", "disability_certificate", "family_doctor"),
}
_SEPARATORS = re.compile(r"[,，、;；/\n]+")


def split_phones(value: str) -> list[str]:
    """ "138 0013 8000, 0371-1234567" -> two numbers (the service normalises each)."""
    return [part.strip() for part in _SEPARATORS.split(value or "") if part.strip()]


class PhonesField(forms.CharField):
    """Several phone numbers in one text box, separated by commas; cleaned to a list."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 300)
        kwargs.setdefault("help_text", _("Several numbers separated by commas."))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        return split_phones(super().to_python(value) or "")

    def has_changed(self, initial: Any, data: Any) -> bool:
        return split_phones(self.prepare_value(initial) or "") != split_phones(data or "")


class CommunitySelect(forms.Select):
    """Options carry the community's public id: the map picker looks addresses up by it."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        instance = getattr(option["value"], "instance", None)
        if instance is not None:
            option["attrs"]["data-id"] = str(instance.external_id)
        return option


class CommunityChoiceField(forms.ModelChoiceField):
    widget = CommunitySelect

    def label_from_instance(self, obj: Any) -> str:
        division: Division = obj
        parent = division.parent
        return f"{parent.name} / {division.name}" if parent is not None else division.name


class ElderForm(forms.Form):
    """The fields of ``services.Record``. Parses only: the service validates the record.
    Sensitive fields the actor may not see are left out of the form entirely."""

    name = forms.CharField(label=_("Full name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=with_blank(Sex.choices),
        required=False,
        help_text=_("Taken from the ID number when left empty."),
    )
    birth_date = DatePickerField(
        label=_("Birth date"),
        required=False,
        help_text=_("Taken from the ID number when left empty."),
    )
    ethnicity = optional_choice(_("Ethnicity"), ETHNICITY_CHOICES)
    phones = PhonesField(label=_("Phone numbers"))
    community = CommunityChoiceField(label=_("Community"), queryset=Division.objects.none())
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    lat = forms.DecimalField(label=_("Latitude"), max_digits=9, decimal_places=6, required=False)
    lng = forms.DecimalField(label=_("Longitude"), max_digits=9, decimal_places=6, required=False)
    living_arrangement = optional_choice(_("Living arrangement"), LivingArrangement.choices)
    marital_status = optional_choice(_("Marital status"), MaritalStatus.choices)
    economic_status = forms.ChoiceField(
        label=_("Economic status"),
        choices=EconomicStatus.choices,
        required=False,
        initial=EconomicStatus.NONE,
    )
    insurance_type = optional_choice(_("Medical insurance"), InsuranceType.choices)
    insurance_number = forms.CharField(
        label=_("Medical-insurance number"), max_length=40, required=False
    )
    chronic_conditions = forms.MultipleChoiceField(
        label=_("Chronic conditions"),
        choices=ChronicCondition.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    disability_certificate = forms.CharField(
        label=_("Disability certificate"), max_length=40, required=False
    )
    family_doctor = forms.CharField(label=_("Family doctor"), max_length=120, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        initial=ElderStatus.ACTIVE,
        choices=[c for c in ElderStatus.choices if c[0] != ElderStatus.DUPLICATE],
    )
    deceased_on = DatePickerField(
        label=_("Date of death"), required=False, help_text=_("Only for a deceased elder.")
    )

    def __init__(
        self,
        *args: Any,
        actor: Actor,
        visible: list[str],
        is_duplicate: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(
            self,
            "community",
            division_queryset(actor=actor).filter(level=DivisionLevel.COMMUNITY),
        )
        for group, names in SENSITIVE_FORM_FIELDS.items():
            if group not in visible:
                for name in names:
                    del self.fields[name]
        if is_duplicate:
            # A record marked duplicate by the review keeps that status unless changed.
            status = self.fields["status"]
            assert isinstance(status, forms.ChoiceField)
            status.choices = ElderStatus.choices

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The fields in groups, for the template (left-out sensitive fields skipped)."""
        return [
            (str(legend), [self[name] for name in names if name in self.fields])
            for legend, names in ELDER_FIELDSETS
        ]


ELDER_FIELDSETS: list[tuple[Any, tuple[str, ...]]] = [
    (_("Person"), ("name", "id_number", "sex", "birth_date", "ethnicity", "phones")),
    (_("Where"), ("community", "address", "lat", "lng")),
    (
        _("Circumstances"),
        (
            "living_arrangement",
            "marital_status",
            "economic_status",
            "insurance_type",
            "insurance_number",
        ),
    ),
    (_("Health"), ("chronic_conditions", "disability_certificate", "family_doctor")),
    (_("Status"), ("status", "deceased_on")),
]


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=50)
    relation = forms.ChoiceField(label=_("Relation"), choices=with_blank(Relation.choices))
    phones = PhonesField(label=_("Phone numbers"))
    is_first_to_call = forms.BooleanField(label=_("First to call"), required=False)

    def __init__(self, *args: Any, show_phones: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not show_phones:
            del self.fields["phones"]


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=with_blank(ConsentPurpose.choices))
    recipient = forms.CharField(label=_("Shared with"), max_length=120, required=False)
    given_by = forms.ChoiceField(label=_("Given by"), choices=ConsentGiver.choices)
    guardian_name = forms.CharField(
        label=_("Guardian's name"),
        max_length=50,
        required=False,
        help_text=_("When a guardian gave the consent."),
    )
    given_on = DatePickerField(label=_("Given on"))
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=200,
        required=False,
        help_text=_("For example: signed form number, where the paper is kept."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = timezone.localdate


class ConsentWithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        help_text=_("An .xlsx or .csv file (UTF-8 or GB18030), one elder per row."),
    )
    dry_run = forms.BooleanField(label=_("Dry run (check only, write nothing)"), required=False)


class DuplicateReviewForm(forms.Form):
    candidate = forms.UUIDField()
    status = forms.CharField(max_length=20)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
