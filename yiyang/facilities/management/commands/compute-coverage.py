"""``yiyang compute-coverage [--division CODE]``

Walking time from every active elder's home to the nearest open facility of each kind
(by the walking network, or the straight line times the detour factor without one), stored
for the coverage pages, the API and the planner. Prints one line of figures."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiyang.core.models import Division
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.facilities.services import coverage_compute


class Command(BaseCommand):
    help = "Compute every elder's walking time to the nearest facility of each kind."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--division", help="a division's 12-digit code (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        division = None
        if options["division"]:
            division = Division.objects.filter(code=options["division"]).first()
            if division is None:
                raise CommandError(f"No division has the code {options['division']}.", returncode=2)
            divisions = [division]
        else:
            divisions = list(Division.objects.filter(level="city"))
        for target in divisions:
            actor = SystemActor(
                Scope(division_prefix=target.code_prefix), username="compute-coverage"
            )
            try:
                run = coverage_compute(actor=actor, division=target)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages), returncode=2) from exc
            self.stdout.write(
                f"{target.name}: {run.elders} elders by the {run.get_method_display()} method "
                f"in {run.seconds:.1f} s; {run.without_coordinates} without coordinates."
            )
