"""Display functions: every kind of stored value turned into the reader's words.

Pages store codes and parameters and render them here, in the active language
(docs/glossary.md): durations in 秒/分钟, money, coordinates, numbers with thousands
separators in both languages, lists joined the way each language joins them, and JSON details
(audit changes, device readings) as short readable sentences. A value nobody can read (a dict,
a list, ``None``, an ``app.model`` label) never leaves this module as such.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, gettext_lazy, ngettext

EMPTY = "—"

# Labels of the keys that appear in JSON details (audit changes, device readings, filters).
DETAIL_LABELS: dict[str, Promise] = {
    "battery": gettext_lazy("Battery"),
    "heart_rate": gettext_lazy("Heart rate"),
    "spo2": gettext_lazy("Blood oxygen"),
    "ppm": gettext_lazy("Concentration"),
    "open": gettext_lazy("Door open"),
    "present": gettext_lazy("In bed"),
    "lat": gettext_lazy("Latitude"),
    "lng": gettext_lazy("Longitude"),
    "accuracy": gettext_lazy("Accuracy"),
    "tier": gettext_lazy("Escalation tier"),
    "status": gettext_lazy("Status"),
    "reason": gettext_lazy("Reason"),
    "note": gettext_lazy("Note"),
    "outcome": gettext_lazy("Outcome"),
    "role": gettext_lazy("Role"),
    "count": gettext_lazy("Count"),
    "kind": gettext_lazy("Kind"),
}


# Models whose "name" is a person's name (姓名, not 名称).
PERSON_MODELS = frozenset({"elders.elder", "elders.contact", "services.caregiver", "accounts.user"})


# Code lists for keys whose stored values are codes in a JSON list (skills, languages): apps
# register them (``register_codes``) so that core needs to import no domain app.
CODE_LISTS: dict[str, Any] = {}


def register_codes(key: str, choices: Any) -> None:
    CODE_LISTS[key] = choices


def is_chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def number(value: Any, decimals: int | None = None) -> str:
    """12,345 or 12,345.6 in both languages (the platform's Chinese uses separators too)."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return yes_no(value)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if decimals is None:
        exponent = amount.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) else 0
        decimals = 0 if amount == amount.to_integral_value() else min(places, 2)
    quantum = Decimal(1).scaleb(-decimals)
    return f"{amount.quantize(quantum, rounding=ROUND_HALF_UP):,.{decimals}f}"


def money(value: Any) -> str:
    """1,234.50 元 in Chinese, ¥1,234.50 in English; Decimal in, never float arithmetic."""
    if value is None or value == "":
        return EMPTY
    text = number(value, 2)
    return f"{text} 元" if is_chinese() else f"¥{text}"


def percent(value: Any) -> str:
    """38% or — (never "—%")."""
    if value is None or value == "":
        return EMPTY
    return f"{number(value, 0)}%"


def duration_seconds(seconds: Any) -> str:
    """A short duration in whole seconds: 41 秒 / 41 s (answer times are always seconds)."""
    if seconds is None or seconds == "":
        return EMPTY
    if isinstance(seconds, datetime.timedelta):
        seconds = seconds.total_seconds()
    whole = int(Decimal(str(seconds)).to_integral_value(rounding=ROUND_HALF_UP))
    return f"{number(whole)} 秒" if is_chinese() else f"{number(whole)} s"


def duration(seconds: Any) -> str:
    """A duration people read: seconds under a minute, minutes under an hour, then hours and
    minutes (41 秒, 12 分钟, 1 小时 5 分钟)."""
    if seconds is None or seconds == "":
        return EMPTY
    if isinstance(seconds, datetime.timedelta):
        seconds = seconds.total_seconds()
    total = int(Decimal(str(seconds)).to_integral_value(rounding=ROUND_HALF_UP))
    if abs(total) < 60:
        return duration_seconds(total)
    minutes = round(total / 60)
    if abs(minutes) < 60:
        return duration_minutes(minutes)
    hours, rest = divmod(minutes, 60)
    text = f"{hours} 小时" if is_chinese() else f"{hours} h"
    return f"{text} {duration_minutes(rest)}" if rest else text


def duration_minutes(minutes: Any) -> str:
    """12 分钟 / 12 min."""
    if minutes is None or minutes == "":
        return EMPTY
    text = number(minutes)
    return f"{text} 分钟" if is_chinese() else f"{text} min"


def distance(metres: Any) -> str:
    """850 米 / 850 m; 1.2 公里 / 1.2 km beyond a kilometre."""
    if metres is None or metres == "":
        return EMPTY
    value = Decimal(str(metres))
    if value >= 1000:
        km = number(value / 1000, 1)
        return f"{km} 公里" if is_chinese() else f"{km} km"
    return f"{number(value, 0)} 米" if is_chinese() else f"{number(value, 0)} m"


def coordinates(lat: Any, lng: Any) -> str:
    """北纬 34.7500°，东经 113.6500° / 34.7500° N, 113.6500° E; — without a position."""
    if lat is None or lng is None or lat == "" or lng == "":
        return EMPTY
    la, lo = Decimal(str(lat)), Decimal(str(lng))
    if is_chinese():
        ns = "北纬" if la >= 0 else "南纬"
        ew = "东经" if lo >= 0 else "西经"
        return f"{ns} {abs(la):.4f}°，{ew} {abs(lo):.4f}°"
    return f"{abs(la):.4f}° {'N' if la >= 0 else 'S'}, {abs(lo):.4f}° {'E' if lo >= 0 else 'W'}"


def yes_no(value: Any) -> str:
    if value is None:
        return EMPTY
    return gettext("Yes") if value else gettext("No")


def words(values: Iterable[Any]) -> str:
    """A list as a phrase: 听力、视力 / hearing, sight; — when empty."""
    items = [display_value(v) for v in values if v not in (None, "")]
    if not items:
        return EMPTY
    return ("、" if is_chinese() else ", ").join(items)


def colon() -> str:
    """The colon after a label: full-width in Chinese."""
    return "：" if is_chinese() else ": "


def model_label(label: str) -> str:
    """``alerts.alert`` → 报警 / alert: the model's verbose name, never its label."""
    if not label:
        return EMPTY
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return gettext("Other record")
    name = model._meta.verbose_name
    # A model without a translated verbose name would show its English class name.
    return str(name) if isinstance(name, Promise) else gettext("Other record")


def choice_label(choices: Any, code: Any) -> str:
    """The label of a code in a TextChoices class (or a list of pairs); an unknown code is
    shown as "other" rather than as itself."""
    if code in (None, ""):
        return EMPTY
    pairs = choices.choices if hasattr(choices, "choices") else choices
    for value, label in pairs:
        if value == code:
            return str(label)
    return gettext("Other")


def display_value(value: Any) -> str:
    """Any stored value as words: a mapping or a list becomes a phrase, never a repr."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Mapping):
        return details(value)
    if isinstance(value, list | tuple | set | frozenset):
        return words(value)
    if isinstance(value, int | float | Decimal):
        return number(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _beats(value: Any) -> str:
    return ngettext("%(n)s beat/min", "%(n)s beats/min", int(value)) % {"n": number(value)}


def _reading(key: str, value: Any) -> str | None:
    """A device reading with its unit, or None when the key needs no unit."""
    if value is None:
        return None
    units = {
        "battery": lambda v: percent(v),
        "heart_rate": lambda v: (
            ngettext("%(n)s beat/min", "%(n)s beats/min", int(v)) % {"n": number(v)}
        ),
        "spo2": percent,
        "ppm": lambda v: f"{number(v)} ppm",
        "accuracy": distance,
    }
    fmt = units.get(key)
    return fmt(value) if fmt else None


def details(data: Mapping[str, Any] | None) -> str:
    """A JSON detail (audit changes, a device event's data, alert context) as one sentence:
    ``{'battery': 38.0}`` → 电量：38%; ``{'lat': …, 'lng': …}`` → 北纬 …，东经 …;
    ``{'tier': [0, 1]}`` → 升级层级：0 → 1. Unknown keys show their (translated) label or,
    failing that, are left out, never a raw key."""
    if not data:
        return EMPTY
    parts: list[str] = []
    remaining = dict(data)
    if "lat" in remaining and "lng" in remaining:
        parts.append(coordinates(remaining.pop("lat"), remaining.pop("lng")))
    sep = colon()
    for key, value in remaining.items():
        label = DETAIL_LABELS.get(key)
        if label is None:
            continue
        text = _reading(key, value)
        if text is None:
            if isinstance(value, list | tuple) and len(value) == 2 and key in {"tier", "status"}:
                text = f"{display_value(value[0])} → {display_value(value[1])}"
            else:
                text = display_value(value)
        parts.append(f"{label}{sep}{text}".replace("： ", "："))
    if not parts:
        return EMPTY
    return ("；" if is_chinese() else "; ").join(parts)


def change_pair(value: Any) -> tuple[str, str] | None:
    """An audit change stored as ``[old, new]``: both sides as words."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return display_value(value[0]), display_value(value[1])
    return None


def _field(model: Any, key: str) -> Any:
    try:
        field = model._meta.get_field(key) if model is not None else None
    except Exception:
        return None
    return field if hasattr(field, "verbose_name") else None


def _field_value(field: Any, value: Any, key: str = "") -> str:
    if key in CODE_LISTS:
        codes = value if isinstance(value, list | tuple) else [value]
        return words(choice_label(CODE_LISTS[key], code) for code in codes)
    if field is not None and getattr(field, "choices", None) and not isinstance(value, list | dict):
        return choice_label(field.choices, value)
    return display_value(value)


def audit_changes(object_type: str, changes: Mapping[str, Any] | None) -> str:
    """An audit event's changes as one sentence: 状态：已受理 → 处置完毕; 升级层级：0 → 1. Field
    labels are the model's verbose names; coded values show their labels; keys nobody could
    read are left out."""
    if not changes:
        return EMPTY
    try:
        model = apps.get_model(object_type) if object_type else None
    except (LookupError, ValueError):
        model = None
    parts = []
    for key, value in changes.items():
        field = _field(model, key)
        label = str(field.verbose_name) if field is not None else DETAIL_LABELS.get(key)
        if key == "name" and object_type in PERSON_MODELS:
            label = gettext("Full name")
        if label is None:
            continue
        if isinstance(value, list | tuple) and len(value) == 2 and not isinstance(value[0], dict):
            old, new = (_field_value(field, v, key) for v in value)
            text = new if value[0] in (None, "", []) else f"{old} → {new}"
        else:
            text = _field_value(field, value, key)
        parts.append(f"{label}{colon().strip() if is_chinese() else ': '}{text}")
    if not parts:
        return EMPTY
    return ("；" if is_chinese() else "; ").join(parts)


def answer_mark(seconds: float | None, target: int, limit: int) -> tuple[str, str]:
    """How an answer time stands against the targets: (css class, words). Within the target
    (60 s) is "ok", within the limit (180 s) "late", beyond it (or not answered) "miss"."""
    if seconds is None:
        return "miss", gettext("not answered yet")
    if seconds <= target:
        return "ok", gettext("within %(t)s") % {"t": duration_seconds(target)}
    if seconds <= limit:
        return "late", gettext("over %(t)s") % {"t": duration_seconds(target)}
    return "miss", gettext("over %(t)s") % {"t": duration_seconds(limit)}


def caregiver_name(caregiver: Any) -> str:
    """A caregiver as dispatch lists them: the name and what tells namesakes apart (two
    胡强 in one provider): the tail of their masked phone, else the start of their id."""
    name = getattr(caregiver, "name", "") or ""
    phone = (getattr(caregiver, "phone_masked", "") or "").strip()
    if phone[-4:].isdigit():
        return gettext("%(name)s (phone ending %(tail)s)") % {"name": name, "tail": phone[-4:]}
    ident = str(getattr(caregiver, "external_id", "") or "").replace("-", "")[:6].upper()
    if not ident:
        return name
    return gettext("%(name)s (no. %(ident)s)") % {"name": name, "ident": ident}
