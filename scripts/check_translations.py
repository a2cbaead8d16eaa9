#!/usr/bin/env python3
"""Fail (exit 1) when the Simplified Chinese catalogue has an untranslated or fuzzy entry,
or when the compiled .mo is older than the .po. Standard library only (CI has no gettext)."""

from __future__ import annotations

import ast
import gettext
import sys
from pathlib import Path

PO = (
    Path(__file__).resolve().parent.parent
    / "yiyang"
    / "locale"
    / "zh_Hans"
    / "LC_MESSAGES"
    / "django.po"
)


def entries(text: str) -> list[dict[str, object]]:
    """Parse a .po file into entries: msgid, msgid_plural, msgstr list, flags, line."""
    found: list[dict[str, object]] = []
    current: dict[str, object] = {}
    key = ""

    def flush() -> None:
        if "msgid" in current:
            found.append(dict(current))
        current.clear()

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            key = ""
            continue
        if line.startswith("#,"):
            flush() if "msgstr" in current else None
            current["flags"] = {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            value = ast.literal_eval(line)
            if key.startswith("msgstr"):
                strings = current.setdefault("msgstr", {})
                assert isinstance(strings, dict)
                strings[key] = strings.get(key, "") + value
            else:
                current[key] = str(current.get(key, "")) + value
            continue
        keyword, _, rest = line.partition(" ")
        value = ast.literal_eval(rest)
        if keyword.startswith("msgstr"):
            strings = current.setdefault("msgstr", {})
            assert isinstance(strings, dict)
            strings[keyword] = value
        else:
            if keyword == "msgid":
                current["line"] = number
            current[keyword] = value
        key = keyword
    flush()
    return found


def stale_mo(parsed: list[dict[str, object]]) -> list[str]:
    """Entries whose compiled translation differs from the .po (the .mo was not rebuilt)."""
    mo = PO.with_suffix(".mo")
    if not mo.exists():
        return [f"{mo.name} is missing: run `make messages`"]
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = []
    for entry in parsed:
        strings = entry.get("msgstr", {})
        assert isinstance(strings, dict)
        msgid = str(entry["msgid"])
        if not msgid or "msgid_plural" in entry or "fuzzy" in entry.get("flags", set()):  # type: ignore[operator]
            continue
        if catalogue.gettext(msgid) != strings.get("msgstr"):
            stale.append(f"line {entry['line']}: {mo.name} is out of date for {msgid!r}")
    return stale[:5] + ([f"... and {len(stale) - 5} more"] if len(stale) > 5 else [])


def main() -> int:
    if not PO.exists():
        print(f"missing {PO}")
        return 1
    problems = []
    for entry in entries(PO.read_text(encoding="utf-8")):
        if entry["msgid"] == "":
            continue
        strings = entry.get("msgstr", {})
        assert isinstance(strings, dict)
        if "fuzzy" in entry.get("flags", set()):  # type: ignore[operator]
            problems.append(f"line {entry['line']}: fuzzy: {entry['msgid']!r}")
        elif not strings or not all(strings.values()):
            problems.append(f"line {entry['line']}: untranslated: {entry['msgid']!r}")
    problems += stale_mo(entries(PO.read_text(encoding="utf-8")))
    for problem in problems:
        print(problem)
    print(f"{PO.relative_to(PO.parents[4])}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
