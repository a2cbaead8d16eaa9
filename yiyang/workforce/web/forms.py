"""Forms of the workforce pages. They parse input only; the services validate the domain."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyang.core.web.forms import DatePickerField, DateTimePickerField, optional_choice
from yiyang.services.choices import Qualification
from yiyang.workforce.choices import SkillLevel, SubsidyKind


class CourseForm(forms.Form):
    name = forms.CharField(label=_("Course"), max_length=100)
    organiser: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None,
        label=_("Organiser"),
        required=False,
        help_text=_("Leave empty for a course of your city or district."),
    )
    school = forms.BooleanField(label=_("The organiser is a school"), required=False)
    theory_hours = forms.DecimalField(label=_("Theory hours"), min_value=0, decimal_places=1)
    practice_hours = forms.DecimalField(label=_("Practice hours"), min_value=0, decimal_places=1)
    target_level = optional_choice(_("Prepares for level"), SkillLevel.choices)
    qualification = optional_choice(_("Certificate issued"), Qualification.choices)
    certificate_valid_months = forms.IntegerField(
        label=_("Certificate valid for (months)"), required=False, min_value=1, max_value=120
    )

    def __init__(self, *args: Any, organisers: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "course")
        super().__init__(*args, **kwargs)
        field = self.fields["organiser"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisers
        field.to_field_name = "external_id"


class SessionForm(forms.Form):
    course: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None, label=_("Course"), to_field_name="external_id"
    )
    starts_at = DateTimePickerField(label=_("Starts at"))
    ends_at = DateTimePickerField(label=_("Ends at"))
    place = forms.CharField(label=_("Training place"), max_length=200)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=10_000)

    def __init__(self, *args: Any, courses: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "session")
        super().__init__(*args, **kwargs)
        field = self.fields["course"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = courses


class SubsidyRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=SubsidyKind.choices)
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=0, decimal_places=2)
    min_skill_level = optional_choice(_("At least skill level"), SkillLevel.choices)
    qualification = optional_choice(_("Certificate required"), Qualification.choices)
    min_years_in_sector = forms.IntegerField(
        label=_("Years in the care sector"), min_value=0, max_value=60, initial=0
    )
    rural_only = forms.BooleanField(label=_("Rural employers only"), required=False)
    valid_from = DatePickerField(label=_("Valid from"))
    valid_to = DatePickerField(label=_("Valid to"), required=False)
    is_active = forms.BooleanField(label=_("In force"), required=False, initial=True)


class ContestForm(forms.Form):
    name = forms.CharField(label=_("Contest"), max_length=100)
    held_on = DatePickerField(label=_("Held on"))


class ContestEntryForm(forms.Form):
    event = forms.CharField(label=_("Event"), max_length=100)
    person: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None, label=_("Caregiver"), to_field_name="external_id"
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "entry")
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = people
