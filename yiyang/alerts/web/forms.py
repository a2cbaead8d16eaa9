"""Forms of the alert-centre pages: they parse input; the services validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyang.alerts.rules import THRESHOLD_RANGES


class ThresholdsForm(forms.Form):
    """One box per threshold: a number overrides the city default for this elder, an empty
    box means the city default applies."""

    def __init__(self, *args: Any, rows: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {row.name: row.override for row in rows if row.override is not None}
        )
        super().__init__(*args, **kwargs)
        for row in rows:
            low, high = THRESHOLD_RANGES[row.name]
            self.fields[row.name] = forms.IntegerField(
                label=row.label,
                required=False,
                min_value=low,
                max_value=high,
                help_text=_("%(unit)s; city default %(default)s; %(low)s to %(high)s")
                % {"unit": row.unit, "default": row.default, "low": low, "high": high},
                widget=forms.NumberInput(attrs={"placeholder": row.default}),
            )


class ContactEmailForm(forms.Form):
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
