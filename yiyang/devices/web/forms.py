"""Forms of the device registry pages: they parse input; the registry services validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyang.core.web.forms import DatePickerField
from yiyang.devices.choices import DeviceKind
from yiyang.devices.decoders import DECODERS


def _vendor_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(DECODERS)]


class DeviceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DeviceKind.choices)
    vendor = forms.ChoiceField(
        label=_("Vendor"),
        choices=_vendor_choices,
        help_text=_("The vendor whose payload format the device speaks."),
    )
    model = forms.CharField(label=_("Model"), required=False, max_length=64)
    serial = forms.CharField(label=_("Serial number"), max_length=64)
    imei = forms.CharField(label=_("IMEI"), required=False, max_length=17)
    sim_iccid = forms.CharField(label=_("SIM ICCID"), required=False, max_length=22)
    firmware = forms.CharField(label=_("Firmware"), required=False, max_length=32)
    installed_on = DatePickerField(label=_("Installed on"), required=False)
    heartbeat_interval_seconds = forms.IntegerField(
        label=_("Heartbeat interval (seconds)"),
        initial=300,
        help_text=_(
            "The device reports at least this often; silence for three intervals "
            "raises a technical alert."
        ),
    )

    def __init__(self, *args: Any, communities: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if communities is not None:
            # Registration: the community whose stock the device joins.
            self.fields["community"] = forms.ModelChoiceField(
                label=_("Community"),
                queryset=communities,
                to_field_name="code",
            )


class BindForm(forms.Form):
    elder = forms.UUIDField(widget=forms.HiddenInput)
    home_address = forms.CharField(
        label=_("Home address"),
        required=False,
        max_length=200,
        help_text=_("Where the device is installed; empty: the elder's address."),
    )
    reason = forms.CharField(
        label=_("Reason for moving it"),
        required=False,
        max_length=200,
    )


class UnbindForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)
