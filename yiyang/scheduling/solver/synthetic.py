"""A large provider's day, generated: the scale test of the optimiser (issue 22).

The shape follows the demo's home-care day (``yiyang/demo/visits.py`` and
``scheduling/planning/``): elders' homes scattered over a district, visits of personal
care, nursing and rehabilitation with windows in the morning or the afternoon, double-ups
(two caregivers together, for transfers), caregivers on early, day and late shifts with a
lunch break, skills from their certificates, walking, cycling, scooters or cars, some elders
preferring a woman. Minutes from midnight; travel is great-circle at the mode's speed.
"""

from __future__ import annotations

import random
from dataclasses import replace

from yiyang.scheduling.solver.model import (
    Break,
    Caregiver,
    Gender,
    Location,
    Problem,
    Requirement,
    Synchronisation,
    SyncKind,
    TimeWindow,
    TravelMode,
    Visit,
)
from yiyang.scheduling.solver.travel import GreatCircleTravelTime, MatrixTravelTime

CENTRE = (34.757, 113.665)  # the demo city's centre
SHIFTS = ((7 * 60, 15 * 60), (8 * 60, 16 * 60), (10 * 60, 18 * 60))
MODES = (TravelMode.BICYCLE, TravelMode.SCOOTER, TravelMode.SCOOTER, TravelMode.CAR)


def large_day(visits: int = 500, caregivers: int = 100, seed: int = 0) -> Problem:
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets

    def place(key: str, spread: float) -> Location:
        return Location(
            key, CENTRE[0] + rng.gauss(0, spread), CENTRE[1] + rng.gauss(0, spread * 1.2)
        )

    offices = [place(f"office{i}", 0.02) for i in range(4)]
    care = frozenset({"care"})
    nursing = frozenset({"care", "nursing"})
    rehab = frozenset({"care", "rehab"})
    people = []
    for k in range(caregivers):
        skills = {"care"}
        if rng.random() < 0.35:
            skills.add("nursing")
        if rng.random() < 0.2:
            skills.add("rehab")
        begin, end = rng.choice(SHIFTS)
        lunch = 12 * 60 + 30 * rng.randrange(3)
        # most start from home (as the demo's caregivers do), the rest from an office
        base = place(f"carer{k}", 0.02) if rng.random() < 0.7 else offices[k % len(offices)]
        people.append(
            Caregiver(
                f"c{k}",
                frozenset(skills),
                base,
                base,
                float(begin),
                float(end),
                max_overtime=60.0,
                max_working_minutes=600.0,
                breaks=(Break(float(lunch), float(lunch + 30)),),
                travel_mode=rng.choice(MODES),
                gender=Gender.FEMALE if rng.random() < 0.8 else Gender.MALE,
            )
        )
    planned = []
    for v in range(visits):
        home = place(f"home{v}", 0.02)  # a district: about 2 km either way of the centre
        roll = rng.random()
        duration = float(rng.choice((20, 30, 30, 45, 45, 60)))
        sync = None
        requirements: tuple[Requirement, ...]
        if roll < 0.1:  # a double-up: two caregivers at once (transfers, bathing)
            requirements = (Requirement(care, duration), Requirement(care, duration))
            sync = Synchronisation(SyncKind.SIMULTANEOUS)
        elif roll < 0.13:  # nurse first, then a carer 30 to 90 minutes later
            requirements = (Requirement(nursing, 30.0), Requirement(care, duration))
            sync = Synchronisation(SyncKind.SEQUENTIAL, 30.0, 90.0)
        elif roll < 0.33:
            requirements = (Requirement(nursing, duration),)
        elif roll < 0.41:
            requirements = (Requirement(rehab, duration),)
        else:
            requirements = (Requirement(care, duration),)
        morning = rng.random() < 0.55
        opens = float(
            rng.randrange(7 * 60 + 30, 11 * 60 + 30, 15)
            if morning
            else rng.randrange(13 * 60, 17 * 60, 15)
        )
        width = float(rng.choice((60, 90, 120, 180, 240)))
        planned.append(
            Visit(
                f"v{v}",
                home,
                TimeWindow(opens, opens + width),
                requirements,
                sync,
                max_lateness=60.0,
                gender_preference=Gender.FEMALE if rng.random() < 0.05 else None,
            )
        )
    return Problem(tuple(planned), tuple(people), GreatCircleTravelTime(), name="large-day")


def tiny_problems() -> tuple[Problem, Problem]:
    """Four visits (a double-up, a sequential pair), three caregivers, with and without a
    break: what ``search.warm_up`` solves to compile every kernel."""
    home = Location("0")
    one = frozenset({"care"})
    visits = (
        Visit("a", Location("1"), TimeWindow(0, 60), (Requirement(one, 10),)),
        Visit(
            "b",
            Location("2"),
            TimeWindow(0, 90),
            (Requirement(one, 10),) * 2,
            Synchronisation(SyncKind.SIMULTANEOUS),
        ),
        Visit(
            "c",
            Location("3"),
            TimeWindow(30, 120),
            (Requirement(one, 10),) * 2,
            Synchronisation(SyncKind.SEQUENTIAL, 5, 30),
            max_lateness=60.0,
        ),
        Visit("d", Location("1"), TimeWindow(0, 200), (Requirement(one, 5),)),
    )
    carers = tuple(
        Caregiver(f"c{k}", one, home, home, 0.0, 480.0, 30.0, 500.0, (Break(100, 110),))
        for k in range(3)
    )
    matrix = [[abs(i - j) * 7.0 for j in range(4)] for i in range(4)]
    problem = Problem(visits, carers, MatrixTravelTime(["0", "1", "2", "3"], matrix))
    problem_plain = Problem(visits, tuple(replace(c, breaks=()) for c in carers), problem.travel)
    return problem, problem_plain
