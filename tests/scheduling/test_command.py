"""``yiyang solve-hhcrsp``: its JSON line, the solution file and the exit codes.

The command is loaded by module path, so these tests do not depend on ``yiyang.scheduling``
being in INSTALLED_APPS; the subprocess tests go through Django's real ``run_from_argv``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import import_module
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.scheduling.make import tiny_instance, write_json
from yiyang.scheduling.solver import evaluate
from yiyang.scheduling.solver.hhcrsp import read_problem, read_solution

ROOT = Path(__file__).resolve().parents[2]
MODULE = "yiyang.scheduling.management.commands.solve-hhcrsp"


def command() -> object:
    return import_module(MODULE).Command()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys, django; django.setup(); from importlib import import_module; "
        f"import_module({MODULE!r}).Command().run_from_argv(['yiyang', 'solve-hhcrsp', *sys.argv[1:]])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "YIYANG_MODE": "test"}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_prints_one_json_line_and_writes_a_solution_the_evaluator_accepts(tmp_path: Path) -> None:
    instance = write_json(tmp_path / "tiny.json", tiny_instance())
    out = tmp_path / "sol.json"
    stdout = StringIO()
    call_command(
        command(),
        str(instance),
        "--time-limit",
        "5",
        "--iterations",
        "50",
        "--seed",
        "3",
        "--out",
        str(out),
        stdout=stdout,
    )
    line = json.loads(stdout.getvalue())
    assert set(line) >= {
        "cost",
        "distance",
        "total_tardiness",
        "max_tardiness",
        "feasible",
        "seconds",
    }
    assert line["feasible"] is True
    problem = read_problem(instance)
    evaluation = evaluate(problem, read_solution(out, problem))
    assert evaluation.feasible
    assert evaluation.benchmark_cost == pytest.approx(line["cost"], abs=1e-6)


def test_exit_code_0_on_success(tmp_path: Path) -> None:
    instance = write_json(tmp_path / "tiny.json", tiny_instance())
    done = run_cli(str(instance), "--time-limit", "0.5")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["feasible"] is True


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot be read"),
        ("{oops", "not valid JSON"),
        (json.dumps({"patients": []}), "central_offices: missing"),
    ],
)
def test_exit_code_2_with_a_clear_message_for_a_bad_file(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "instance.json"
    if content is not None:
        path.write_text(content)
    done = run_cli(str(path), "--time-limit", "1")
    assert done.returncode == 2
    assert "malformed instance" in done.stderr
    assert message in done.stderr
    assert done.stdout == ""


def test_call_command_raises_command_error_with_return_code_2(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as raised:
        call_command(command(), str(tmp_path / "missing.json"), "--time-limit", "1")
    assert raised.value.returncode == 2
