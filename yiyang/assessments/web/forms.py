"""Forms of the assessment pages. They only parse input; the services validate the domain
(answers against the instrument, assessors against scope and declared relations, rules)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyang.assessments.choices import (
    AssessmentReason,
    DeclaredRelation,
    EntitlementKind,
    EntitlementUnit,
    RiskEventKind,
)
from yiyang.core.web.forms import DatePickerField, DateTimePickerField
from yiyang.elders.choices import ChronicCondition, EconomicStatus

# A.4.1 disease list as checkboxes: each condition of the national list with the ICD-10 code
# the form records for it (the standard gives ranges; the code is the range's general or
# unspecified category, so a change rule citing it is exact).
DIAGNOSIS_CODES: dict[str, str] = {
    ChronicCondition.HYPERTENSION: "I10",
    ChronicCondition.CORONARY: "I25",
    ChronicCondition.DIABETES: "E14",
    ChronicCondition.PNEUMONIA: "J18",
    ChronicCondition.COPD: "J44",
    ChronicCondition.CEREBRAL_HAEMORRHAGE: "I61",
    ChronicCondition.CEREBRAL_INFARCTION: "I63",
    ChronicCondition.URINARY_INFECTION: "N39.0",
    ChronicCondition.PARKINSONISM: "G20",
    ChronicCondition.CHRONIC_RENAL_FAILURE: "N18",
    ChronicCondition.CIRRHOSIS: "K74",
    ChronicCondition.PEPTIC_ULCER: "K27",
    ChronicCondition.TUMOUR: "C80",
    ChronicCondition.AMPUTATION: "Z89",
    ChronicCondition.FRACTURE: "M84",
    ChronicCondition.EPILEPSY: "G40",
    ChronicCondition.HYPOTHYROIDISM: "E03",
    ChronicCondition.CATARACT: "H25",
    ChronicCondition.GLAUCOMA: "H40",
    ChronicCondition.OSTEOPOROSIS: "M81",
    ChronicCondition.DEMENTIA: "F03",
    ChronicCondition.MENTAL_DISORDER: "F99",
}
LIST_CODES = set(DIAGNOSIS_CODES.values())
RISK_KINDS_ON_FORM = [
    RiskEventKind.FALL,
    RiskEventKind.WANDERING,
    RiskEventKind.CHOKING,
    RiskEventKind.SUICIDE_SELF_HARM,
    RiskEventKind.OTHER,
]
LEVEL_CHOICES = [(n, str(n)) for n in range(5)]


def diagnosis_choices() -> list[tuple[str, str]]:
    return [
        (code, f"{ChronicCondition(condition).label} ({condition})")
        for condition, code in DIAGNOSIS_CODES.items()
    ]


def split_codes(text: str) -> list[str]:
    """Free ICD-10 codes as typed: separated by spaces, commas or the Chinese 、，；."""
    return [part for part in re.split(r"[\s,;，、；]+", text or "") if part]


class FactsForm(forms.Form):
    """The screen of the change-rule facts: coma (A.5.11), diagnoses (A.4.1) and the
    care-risk events of the last 30 days (A.2.14)."""

    coma = forms.TypedChoiceField(
        label=_("In a coma (A.5.11)"),
        choices=[("no", _("No")), ("yes", _("Yes"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    diagnoses = forms.MultipleChoiceField(
        label=_("Diagnoses of the national list (A.4.1)"),
        choices=diagnosis_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    diagnoses_free = forms.CharField(
        label=_("Other diagnoses (ICD-10 codes)"),
        required=False,
        max_length=300,
        help_text=_("For example F01.1 G30; separate codes with spaces or commas."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in RISK_KINDS_ON_FORM:
            self.fields[f"risk_{kind}"] = forms.IntegerField(
                label=RiskEventKind(kind).label,
                min_value=0,
                max_value=3,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def risk_fields(self) -> list[forms.BoundField]:
        return [self[f"risk_{kind}"] for kind in RISK_KINDS_ON_FORM]

    def values(self) -> dict[str, Any]:
        """The cleaned facts in the shape the services take."""
        data = self.cleaned_data
        codes = list(data.get("diagnoses") or []) + split_codes(data.get("diagnoses_free", ""))
        events = {
            str(kind): data[f"risk_{kind}"]
            for kind in RISK_KINDS_ON_FORM
            if data.get(f"risk_{kind}")
        }
        return {"coma": bool(data.get("coma")), "diagnoses": codes, "risk_events_30d": events}

    @staticmethod
    def initial_from(coma: bool, diagnoses: list[str], events: dict[str, int]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "coma": "yes" if coma else "no",
            "diagnoses": [code for code in diagnoses if code in LIST_CODES],
            "diagnoses_free": " ".join(code for code in diagnoses if code not in LIST_CODES),
        }
        for kind in RISK_KINDS_ON_FORM:
            initial[f"risk_{kind}"] = events.get(str(kind), 0)
        return initial


class ScheduleForm(forms.Form):
    assessor = forms.ChoiceField(label=_("Assessor"))
    second_assessor = forms.ChoiceField(label=_("Second assessor"), required=False)
    scheduled_at = DateTimePickerField(label=_("Date and time"))
    place = forms.CharField(label=_("Place"), max_length=200)

    def __init__(self, *args: Any, assessors: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(user.external_id), str(user)) for user in assessors]
        self.fields["assessor"].choices = [("", "—"), *choices]  # type: ignore[attr-defined]
        self.fields["second_assessor"].choices = [("", _("None")), *choices]  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RequestForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=AssessmentReason.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class RiskEventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RiskEventKind.choices)
    occurred_on = DatePickerField(label=_("Date"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class DeclarationForm(forms.Form):
    relation = forms.ChoiceField(label=_("Relation"), choices=DeclaredRelation.choices)


class EligibilityRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    entitlement = forms.ChoiceField(label=_("Entitlement"), choices=EntitlementKind.choices)
    amount_yuan = forms.DecimalField(
        label=_("Amount (yuan)"), required=False, max_digits=9, decimal_places=2, min_value=0
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=EntitlementUnit.choices)
    min_level = forms.TypedChoiceField(label=_("Lowest level"), choices=LEVEL_CHOICES, coerce=int)
    max_level = forms.TypedChoiceField(label=_("Highest level"), choices=LEVEL_CHOICES, coerce=int)
    economic_statuses = forms.MultipleChoiceField(
        label=_("Economic statuses"),
        choices=EconomicStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any economic status."),
    )
    min_age = forms.IntegerField(label=_("Minimum age"), min_value=0, max_value=120)
    valid_from = DatePickerField(label=_("Valid from"))
    valid_to = DatePickerField(label=_("Valid to"), required=False)
    is_active = forms.BooleanField(label=_("In force"), required=False)
