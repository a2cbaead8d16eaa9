"""One word per idea (docs/glossary.md): no template and no Chinese translation uses a term the
glossary forbids, and Chinese text carries full-width colons."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "yiyang" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# (pattern, the glossary's word): a match anywhere in a Chinese text is an offence.
FORBIDDEN: list[tuple[str, str]] = [
    (r"告警|警报", "报警"),
    (r"(?<!养)老人|长者", "老年人"),
    (r"护工|服务人员|护理人员|照护员|养老护理员(?!证)", "护理员"),
    (r"社区工作者|社工", "社区工作人员"),
    (r"服务商|服务提供商|运营商", "服务机构 / 运营机构"),
    (r"接警员|坐席", "话务员"),
    (r"评估人员", "评估员"),
    (r"照护计划|护理计划", "服务计划"),
    (r"派工|指派", "派单"),
    (r"打卡", "签到 / 签退"),
    (r"时间窗口?", "预约时段"),
    (r"上班时间", "工作时间"),
    (r"长护险", "长期护理保险"),
    (r"已作答|应答", "已受理 / 受理"),
    (r"管辖范围", "辖区"),
    (r"终端", "设备"),
]
# Whole translations that are a status word without saying whose status it is.
BARE_STATUS = {"启用", "有效", "停用"}
# 名称 is for things; a msgid about a person's name must say 姓名.
PERSON_NAME = re.compile(r"full name|\b(elder|caregiver|contact|person|user)'?s? name\b", re.I)
HALF_WIDTH_COLON = re.compile(r"[\u3400-\u9fff）》”]:(?!//)")
TEMPLATE_COLON = re.compile(r"%\}:")


def _po_parser() -> ModuleType:
    if "check_translations" in sys.modules:
        return sys.modules["check_translations"]
    path = ROOT / "scripts" / "check_translations.py"
    spec = importlib.util.spec_from_file_location("check_translations", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_translations"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _chinese_texts() -> list[tuple[str, str | None, str, str]]:
    """(where, msgctxt, msgid, msgstr) for every live entry of the Chinese catalogue."""
    entries = _po_parser().parse(PO.read_text(encoding="utf-8"))
    return [
        (f"django.po line {e.line}", e.msgctxt, e.msgid, text)
        for e in entries
        if not e.obsolete and e.msgid
        for text in e.msgstr.values()
    ]


def _templates() -> list[Path]:
    return sorted((ROOT / "yiyang").rglob("templates/**/*.html"))


def offences(where: str, text: str) -> list[str]:
    found = []
    for pattern, word in FORBIDDEN:
        for match in re.finditer(pattern, text):
            found.append(f"{where}: {match.group(0)!r} (use {word}) in {text!r}")
    for match in HALF_WIDTH_COLON.finditer(text):
        found.append(f"{where}: half-width colon after Chinese {match.group(0)!r} in {text!r}")
    return found


def test_the_chinese_catalogue_uses_only_glossary_terms() -> None:
    problems: list[str] = []
    for where, context, msgid, text in _chinese_texts():
        problems += offences(where, text)
        if text.strip() in BARE_STATUS and context != "account":
            problems.append(f"{where}: bare status {text!r} for {msgid!r} (say whose status)")
        if PERSON_NAME.search(msgid) and "名称" in text:
            problems.append(f"{where}: 名称 for a person's name in {text!r} (use 姓名)")
    assert problems == []


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_use_only_glossary_terms(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    problems = offences(template.name, text)
    problems += [
        f"{template.name}: colon after a tag (use {{% colon %}})"
        for _ in TEMPLATE_COLON.finditer(text)
    ]
    assert problems == []


def test_the_checker_catches_each_kind_of_offence() -> None:
    assert offences("x", "老人的告警")  # two forbidden terms
    assert offences("x", "姓名: 张华")  # half-width colon
    assert not offences("x", "养老服务：08:00 签到")
    assert PERSON_NAME.search("Full name") and not PERSON_NAME.search("Name")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_numbers_have_thousands_separators_in_both_languages(language: str) -> None:
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils import translation

    from yiyang.core import display

    with translation.override(language):
        assert intcomma(1234567) == "1,234,567"
        assert display.number(12345) == "12,345"
        assert display.number("1234.5") == "1,234.5"
        assert display.duration_seconds(62) == ("62 秒" if language == "zh-hans" else "62 s")
        assert display.money("1234.5") == ("1,234.50 元" if language == "zh-hans" else "¥1,234.50")
        assert display.percent(None) == "—"
