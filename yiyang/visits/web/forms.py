"""Forms of the home-care pages. They parse input only; the services validate the domain."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyang.core.web.forms import DatePickerField, DateTimePickerField
from yiyang.elders.choices import Relation
from yiyang.visits.choices import ReviewStatus

WEEKDAYS = [
    ("0", _("Mon")),
    ("1", _("Tue")),
    ("2", _("Wed")),
    ("3", _("Thu")),
    ("4", _("Fri")),
    ("5", _("Sat")),
    ("6", _("Sun")),
]


SPLIT_FIELDS = ("allowance_yuan", "ltc_yuan", "self_pay_yuan", "split_reason")


class OrderForm(forms.Form):
    provider: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None, label=_("Provider")
    )
    item: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None, label=_("Service"))
    starts_on = DatePickerField(label=_("First date"))
    ends_on = DatePickerField(
        label=_("Last date"), required=False, help_text=_("Leave empty for one visit.")
    )
    weekdays = forms.MultipleChoiceField(
        label=_("Weekdays (care plan)"),
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick the days of a recurring care plan; none for one visit."),
    )
    window_start = forms.TimeField(
        label=_("Window from"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    window_end = forms.TimeField(
        label=_("Window to"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    allowance_yuan = forms.DecimalField(
        label=_("Government allowance (yuan)"), required=False, min_value=0, decimal_places=2
    )
    ltc_yuan = forms.DecimalField(
        label=_("Long-term-care insurance (yuan)"), required=False, min_value=0, decimal_places=2
    )
    self_pay_yuan = forms.DecimalField(
        label=_("Self-pay (yuan)"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_("Leave empty: the rest of the price."),
    )
    split_reason = forms.CharField(
        label=_("Reason for changing the computed shares"),
        required=False,
        max_length=300,
        help_text=_("Leave the shares empty to keep the computed split; a change needs a reason."),
    )
    relation = forms.ChoiceField(
        label=_("Your relation to the elder"),
        required=False,
        choices=[("", "—"), *Relation.choices],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(
        self, *args: Any, providers: Any, items: Any, can_override: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not can_override:  # the split is computed; only an officer may change it
            for name in SPLIT_FIELDS:
                del self.fields[name]
        provider_field = self.fields["provider"]
        item_field = self.fields["item"]
        assert isinstance(provider_field, forms.ModelChoiceField)
        assert isinstance(item_field, forms.ModelChoiceField)
        provider_field.queryset = providers
        item_field.queryset = items


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CorrectForm(forms.Form):
    """A manager's correction of a visit's times after the fact (a phone that died)."""

    check_in_at = DateTimePickerField(label=_("Checked in at"))
    check_out_at = DateTimePickerField(label=_("Checked out at"))
    reason = forms.CharField(label=_("Why the record is corrected"), max_length=300)
    attestation = forms.BooleanField(
        label=_("I confirm that the corrected times are true to my knowledge."), required=False
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(ReviewStatus.ACCEPTED, _("Accept")), (ReviewStatus.REJECTED, _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class AssignForm(forms.Form):
    caregivers = forms.MultipleChoiceField(
        label=_("Caregiver(s)"), choices=[], widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, caregivers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["caregivers"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(c.external_id), c.name) for c in caregivers]


class RateForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)
