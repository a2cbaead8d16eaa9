"""``yiyang seed-demo [--elders N] [--seed S]``: build the demo city if it is not there."""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from yiyang.demo.assessments import demo_assessments_build
from yiyang.demo.boundaries import demo_boundaries_build
from yiyang.demo.devices import demo_devices_build
from yiyang.demo.facilities import demo_facilities_build
from yiyang.demo.indicators import demo_indicators_build
from yiyang.demo.meals import demo_meals_build
from yiyang.demo.scheduling import demo_plans_build
from yiyang.demo.services import CITY_CODE, DEFAULT_PASSWORD, demo_city_build, demo_elders_build
from yiyang.demo.settlement import demo_settlement_build
from yiyang.demo.supervision import demo_supervision_build
from yiyang.demo.visits import demo_visits_build
from yiyang.workforce.services import person_adopt_caregivers


class Command(BaseCommand):
    help = "Build the fictional demo city (divisions, organisations, a login per role)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=20261122, help="random seed")
        parser.add_argument(
            "--elders",
            type=int,
            default=20_000,
            help="elders to generate when the registry is empty (default 20,000; "
            "900000 builds a city-scale registry for benchmarks)",
        )
        parser.add_argument(
            "--device-elders",
            type=int,
            default=200,
            help="elders given an SOS pendant (and some a watch and home sensors)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        password = os.environ.get("YIYANG_DEMO_PASSWORD") or DEFAULT_PASSWORD
        city = demo_city_build(seed=options["seed"], password=password)
        verb = "Built" if city.created else "Found"
        self.stdout.write(
            f"{verb} the demo city: {city.divisions} divisions, {city.organisations} "
            f"organisations, {city.users} demo logins, {city.elders_60_plus} residents "
            f"aged 60+ ({time.monotonic() - started:.1f} s)."
        )
        maps = demo_boundaries_build(city_code=CITY_CODE, seed=options["seed"])
        if maps.created:
            self.stdout.write(
                f"Drew {maps.created} division boundaries and {maps.roads} roads for the maps."
            )
        started = time.monotonic()
        total = options["elders"]

        def progress(done: int) -> None:
            if self.stdout.isatty() or done == total:
                self.stdout.write(f"\r{done}/{total} elders", ending="")
                self.stdout.flush()

        self._say(
            demo_elders_build(count=total, seed=options["seed"], progress=progress),
            started,
            found="Found {existing} elders in the registry.",
            built="\nRegistered {created} elders ({duplicates} possible duplicates to review, "
            "{rejected} rejected) in {seconds:.1f} s.",
        )
        self._say(
            demo_assessments_build(seed=options["seed"]),
            time.monotonic(),
            found="Found {existing} assessments.",
            built="Assessed {created} elders, {rules} eligibility rules ({seconds:.1f} s).",
        )
        self._home_care(seed=options["seed"])
        self._say(
            demo_devices_build(elders=options["device_elders"], seed=options["seed"]),
            time.monotonic(),
            found="Found {existing} devices.",
            built="Bound {created} devices and wrote {alerts} past alerts ({seconds:.1f} s).",
        )
        self._network_and_picture(seed=options["seed"])

    def _say(self, result: Any, started: float, *, found: str, built: str) -> None:
        """What a demo step found (``found``, where the demo held it already) or built
        (``built``): templates of the step's result fields, and of ``seconds`` since
        ``started``."""
        fields = {**vars(result), "seconds": time.monotonic() - started}
        self.stdout.write((found if result.existing else built).format(**fields))

    def _home_care(self, *, seed: int) -> None:
        """Providers, caregivers, a month of visits, and the optimiser's plans for two days."""
        started = time.monotonic()
        home_care = demo_visits_build(seed=seed)
        if home_care.existing:
            self.stdout.write(f"Found {home_care.existing} home-care visits.")
        elif home_care.created:
            self.stdout.write(
                f"Home care: {len(home_care.providers)} providers, {home_care.caregivers} "
                f"caregivers, {home_care.orders} orders and care plans, {home_care.created} "
                f"visits ({home_care.flagged} flagged, {home_care.today} today) in "
                f"{time.monotonic() - started:.1f} s. provider_manager runs "
                f"{home_care.manager_provider}; caregiver is {home_care.caregiver_login} there; "
                f"family follows {home_care.family_elder}."
            )
        for plan in demo_plans_build():
            if plan.created:
                now, new = plan.current, plan.proposal
                self.stdout.write(
                    f"Optimised a day of {plan.visits} visits for provider_manager: travel "
                    f"{now['travel_minutes']:.0f} -> {new['travel_minutes']:.0f} min, "
                    f"unassigned {now['unassigned']} -> {new['unassigned']} "
                    f"({plan.seconds:.1f} s; /scheduling/plan/{plan.run_id}/)."
                )
            elif plan.error:
                self.stdout.write(f"The demo plan run failed: {plan.error}")
        adopted = person_adopt_caregivers()
        if adopted:
            self.stdout.write(f"Caregiver roster: {adopted} caregivers entered (/workforce/).")

    def _network_and_picture(self, *, seed: int) -> None:
        """The facility network with its reach, then the indicators' targets and history."""
        started = time.monotonic()
        network = demo_facilities_build(seed=seed)
        if network.created:
            self.stdout.write(
                f"Facility network: {network.facilities} facilities, a walking network of "
                f"{network.nodes} nodes, reach computed by the {network.method} method in "
                f"{network.seconds:.1f} s ({time.monotonic() - started:.1f} s in all)."
            )
        else:
            self.stdout.write(f"Found {network.facilities} facilities.")
        meals = demo_meals_build(seed=seed)
        if not meals.existing:
            self.stdout.write(
                f"Meal assistance: {meals.canteens} canteens and meal points, {meals.served} "
                "meals served at the demo canteen."
            )
        quality = demo_supervision_build(seed=seed)
        if quality.created:
            self.stdout.write(
                f"Supervision: {quality.published} published star levels, one evaluation "
                f"assigned to evaluator, {quality.complaints} complaints, "
                f"{quality.inspections} planned inspections, {quality.evaluations} "
                "evaluations of purchased services (one assigned to evaluator)."
            )
        money = demo_settlement_build()
        if money.created:
            self.stdout.write(
                f"Purchased services: {money.lines} budget lines, {money.contracts} contracts, "
                f"last month settled into {money.statements} statements ({money.held} lines "
                "held for review); provider_manager's is confirmed and waits for its street."
            )
        picture = demo_indicators_build(city_code=CITY_CODE)
        if not picture.existing:
            self.stdout.write(
                f"Indicators: {picture.targets} city targets, snapshots of {picture.months} "
                f"months ({time.monotonic() - started:.1f} s)."
            )
