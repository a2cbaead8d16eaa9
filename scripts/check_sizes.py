#!/usr/bin/env python3
"""Fail (exit 1) when a module or a function of yiyang/ is larger than one person can hold.

Limits (CONVENTIONS.md, "Modules a person can hold"): 600 lines per module, 80 lines per
function or method (its whole extent, decorators and docstring included). Generated
migrations are exempt. Modules and functions that were already over the limits when the
check was introduced are listed in scripts/size_baseline.json with their size then: they may
shrink, never grow, and a new entry can never be added by hand without review. Run with
``--update-baseline`` only to remove entries that are now within the limits.

Standard library only.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "yiyang"
BASELINE = Path(__file__).with_name("size_baseline.json")
MODULE_LIMIT = 600
FUNCTION_LIMIT = 80


def measured() -> dict[str, int]:
    """Every module and function over its limit: name -> lines."""
    found: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        relative = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if lines > MODULE_LIMIT:
            found[relative] = lines
        for node in ast.walk(ast.parse(text, filename=relative)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - first + 1
                if length > FUNCTION_LIMIT:
                    found[f"{relative}::{node.name}@{node.lineno}"] = length
    return found


def key(name: str) -> str:
    """Functions are matched by file and name, not line (lines move as code changes)."""
    return name.split("@", 1)[0]


def main(argv: list[str]) -> int:
    # Trusted: the repository's own baseline file.
    baseline: dict[str, int] = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}  # noqa: TID251
    current = measured()
    by_key: dict[str, int] = {}
    for name, size in current.items():
        by_key[key(name)] = max(size, by_key.get(key(name), 0))
    if "--update-baseline" in argv:
        kept = {k: min(v, baseline[k]) for k, v in by_key.items() if k in baseline}
        BASELINE.write_text(json.dumps(dict(sorted(kept.items())), indent=1) + "\n")
        print(f"baseline: {len(kept)} entries (was {len(baseline)})")
        return 0
    problems = []
    for name, size in sorted(by_key.items()):
        limit = FUNCTION_LIMIT if "::" in name else MODULE_LIMIT
        allowed = baseline.get(name)
        if allowed is None:
            problems.append(f"{name}: {size} lines, over the limit of {limit}")
        elif size > allowed:
            problems.append(f"{name}: {size} lines, grew past its baseline of {allowed}")
    stale = sorted(k for k in baseline if k not in by_key)
    for name in problems:
        print(name)
    if stale:
        print(
            f"{len(stale)} baseline entries are now within the limits; run "
            "`python scripts/check_sizes.py --update-baseline` to drop them."
        )
    if problems:
        print(
            f"{len(problems)} size problem(s): split the module (a package re-exporting its "
            "parts) or the function."
        )
        return 1
    print(f"sizes: ok ({len(baseline)} legacy entries in the baseline, to be split)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
