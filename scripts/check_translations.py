#!/usr/bin/env python3
"""Fail (exit 1) when the Simplified Chinese catalogue is not complete and consistent.

Checks yiyang/locale/zh_Hans/LC_MESSAGES/django.po (or the .po files given as arguments):

- every entry is translated (each ``msgstr`` / ``msgstr[n]`` non-empty) and none is fuzzy
  (Django ignores fuzzy entries, so they show in English);
- the header is not fuzzy and declares UTF-8, ``Language: zh_Hans`` and
  ``Plural-Forms: nplurals=1; plural=0;``, with exactly one ``msgstr[0]`` per plural entry;
- each translation keeps the placeholders of its source (``%(name)s``, ``%d``, ``{value}``):
  a lost or misspelt placeholder raises KeyError at runtime;
- the compiled .mo next to the .po holds the same translations (it is committed, so that
  runtime needs no gettext; rebuild it with ``make messages``).

Standard library only: CI has no gettext tools and no polib.
"""

from __future__ import annotations

import ast
import gettext
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "yiyang" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
HEADER_RULES = {
    "Content-Type": "text/plain; charset=UTF-8",
    "Language": "zh_Hans",
    "Plural-Forms": "nplurals=1; plural=0;",
}
NPLURALS = 1

# printf-style (python-format) and str.format-style (python-brace-format) placeholders.
PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[a-zA-Z%])"
)
BRACE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def label(self) -> str:
        context = f" (context {self.msgctxt!r})" if self.msgctxt is not None else ""
        return f"line {self.line}: {self.msgid!r}{context}"


def parse(text: str) -> list[Entry]:
    """Parse a .po file. Obsolete (``#~``) entries are returned flagged, not dropped."""
    entries: list[Entry] = []
    current: Entry | None = None
    pending_flags: set[str] = set()
    key: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current, key
        if current is not None:
            entries.append(current)
        current, key = None, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):  # "#~|": previous msgid of an obsolete fuzzy entry
                continue
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                finish()  # comments start the next entry even without a blank line
            if line.startswith("#,"):
                pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith('"'):
            if current is None or key is None:
                raise ValueError(f"line {number}: a string continues nothing")
            _append(current, key, _unquote(line, number))
            continue
        keyword, _, rest = line.partition(" ")
        value = _unquote(rest.strip(), number)
        if keyword in {"msgctxt", "msgid"} and current is not None and current.msgstr:
            finish()
        if current is None:
            current = Entry(line=number, flags=pending_flags, obsolete=obsolete)
            pending_flags = set()
        if keyword == "msgctxt":
            current.msgctxt, key = value, ("msgctxt", 0)
        elif keyword == "msgid":
            current.msgid, current.line, key = value, number, ("msgid", 0)
        elif keyword == "msgid_plural":
            current.msgid_plural, key = value, ("msgid_plural", 0)
        elif keyword == "msgstr":
            current.msgstr[0], key = value, ("msgstr", 0)
        elif (match := re.fullmatch(r"msgstr\[(\d+)\]", keyword)) is not None:
            index = int(match.group(1))
            current.msgstr[index], key = value, ("msgstr", index)
        else:
            raise ValueError(f"line {number}: unknown keyword {keyword!r}")
    finish()
    return entries


def _unquote(token: str, number: int) -> str:
    if not (token.startswith('"') and token.endswith('"')):
        raise ValueError(f"line {number}: expected a quoted string, got {token!r}")
    value = ast.literal_eval(token)
    assert isinstance(value, str)
    return value


def _append(entry: Entry, key: tuple[str, int], value: str) -> None:
    name, index = key
    if name == "msgstr":
        entry.msgstr[index] += value
    elif name == "msgid":
        entry.msgid += value
    elif name == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + value
    else:
        entry.msgctxt = (entry.msgctxt or "") + value


def placeholders(text: str, flags: set[str]) -> list[str]:
    found: list[str] = []
    if "python-format" in flags:
        for match in PERCENT.finditer(text):
            if match.group("conv") != "%":
                found.append(match.group(0))
    if "python-brace-format" in flags:
        found += [m.group(0) for m in BRACE.finditer(text) if m.group(1) is not None]
    return sorted(found)


def header_problems(header: Entry | None) -> list[str]:
    if header is None:
        return ['no header entry (msgid "")']
    problems = []
    if "fuzzy" in header.flags:
        problems.append(f"line {header.line}: the header is fuzzy (msgfmt would drop it)")
    fields = {
        name.strip(): value.strip()
        for name, _, value in (
            row.partition(":") for row in header.msgstr.get(0, "").splitlines() if ":" in row
        )
    }
    for name, expected in HEADER_RULES.items():
        if fields.get(name) != expected:
            problems.append(
                f"line {header.line}: header {name} is {fields.get(name)!r}, not {expected!r}"
            )
    return problems


def entry_problems(entry: Entry) -> list[str]:
    problems = []
    if "fuzzy" in entry.flags:
        problems.append(f"{entry.label}: fuzzy")
    expected_forms = set(range(NPLURALS)) if entry.msgid_plural is not None else {0}
    if set(entry.msgstr) != expected_forms:
        forms = ", ".join(f"msgstr[{i}]" for i in sorted(entry.msgstr)) or "none"
        problems.append(f"{entry.label}: has {forms}; zh_Hans needs exactly one form")
    if not entry.msgstr or not all(entry.msgstr.values()):
        problems.append(f"{entry.label}: untranslated")
        return problems
    sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural is not None else [])
    for index, translation in entry.msgstr.items():
        got = placeholders(translation, entry.flags)
        if not any(got == placeholders(source, entry.flags) for source in sources):
            want = placeholders(sources[-1], entry.flags)
            problems.append(
                f"{entry.label}: msgstr[{index}] placeholders {got} differ from the source's {want}"
            )
    return problems


def stale_mo(po: Path, entries: list[Entry]) -> list[str]:
    """Entries whose compiled translation differs from the .po (the .mo was not rebuilt)."""
    mo = po.with_suffix(".mo")
    if not mo.exists():
        return [f"{mo.name} is missing: run `make messages`"]
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = []
    for entry in entries:
        if not entry.msgid or "fuzzy" in entry.flags or not entry.msgstr.get(0):
            continue
        if entry.msgid_plural is not None:
            compiled = (
                catalogue.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                if entry.msgctxt is not None
                else catalogue.ngettext(entry.msgid, entry.msgid_plural, 1)
            )
        elif entry.msgctxt is not None:
            compiled = catalogue.pgettext(entry.msgctxt, entry.msgid)
        else:
            compiled = catalogue.gettext(entry.msgid)
        if compiled != entry.msgstr[0]:
            stale.append(f"{entry.label}: {mo.name} is out of date (run `make messages`)")
    return stale[:5] + ([f"... and {len(stale) - 5} more out of date"] if len(stale) > 5 else [])


def check(po: Path) -> list[str]:
    if not po.exists():
        return [f"missing {po}"]
    try:
        parsed = parse(po.read_text(encoding="utf-8"))
    except (ValueError, SyntaxError, UnicodeDecodeError) as exc:
        return [f"cannot parse: {exc}"]
    live = [entry for entry in parsed if not entry.obsolete]
    header = next((e for e in live if e.msgid == "" and e.msgctxt is None), None)
    problems = header_problems(header)
    seen: set[tuple[str | None, str]] = set()
    for entry in live:
        if entry is header:
            continue
        if (entry.msgctxt, entry.msgid) in seen:
            problems.append(f"{entry.label}: duplicate entry")
        seen.add((entry.msgctxt, entry.msgid))
        problems += entry_problems(entry)
    return problems + stale_mo(po, [e for e in live if e is not header])


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or [PO]
    failed = False
    for po in paths:
        problems = check(po)
        for problem in problems:
            print(problem)
        shown = po.relative_to(ROOT) if po.resolve().is_relative_to(ROOT) else po
        print(f"{shown}: {len(problems)} problem(s)")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
