"""The demo app builds a fictional city (颐和市) through the other apps' services:
divisions, organisations in DOMAIN.md's proportions, and one login for every role.

Deterministic for a given seed: the same seed gives the same names, codes and numbers.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from faker import Faker

from yiyang.accounts.choices import two_factor_roles
from yiyang.accounts.models import User
from yiyang.accounts.services import role_requires_2fa
from yiyang.core.choices import DivisionLevel
from yiyang.core.models import Division
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.core.services import division_create_many
from yiyang.organisations.choices import OrganisationKind as K
from yiyang.organisations.choices import OrganisationStatus, Ownership
from yiyang.organisations.models import Organisation
from yiyang.organisations.services import organisation_create_many

CITY_CODE = "419100000000"
CITY_NAME = "颐和市"
CENTRE = (34.75, 113.65)
BBOX = (Decimal("34.300000"), Decimal("35.200000"), Decimal("113.100000"), Decimal("114.200000"))
DEFAULT_PASSWORD = "Yiyang-demo-2026"  # noqa: S105 - printed for the demo on purpose

URBAN_DISTRICTS = ["和平区", "康宁区", "福寿区", "安泰区"]
RURAL_COUNTIES = ["松山县", "青河县"]
SYLLABLES = list(
    "安宁康乐福寿永兴和平德馨松柏青云长春明华金水东风西湖南关北城文昌桂花柳林"
    "瑞祥泰丰嘉禾同心光明新华红旗朝阳建设幸福民主胜利团结友谊"
)

# Logins printed by `make demo`: username -> (role, what the scope is).
DEMO_USERS = [
    ("city_admin", Role.CITY_ADMIN, "city"),
    ("district_officer", Role.DISTRICT_OFFICER, "district"),
    ("street_officer", Role.STREET_OFFICER, "street"),
    ("community_worker", Role.COMMUNITY_WORKER, "community"),
    ("provider_manager", Role.PROVIDER_MANAGER, "operator"),
    ("caregiver", Role.CAREGIVER, "home_care"),
    ("operator", Role.OPERATOR, "city"),
    ("assessor", Role.ASSESSOR, "district"),
    ("auditor", Role.AUDITOR, "city"),
    ("family", Role.FAMILY, None),
    ("canteen", Role.CANTEEN_STAFF, "canteen"),
    ("evaluator", Role.EVALUATOR, "city"),
    ("finance_officer", Role.FINANCE_OFFICER, "city"),
]


@dataclass
class DemoCity:
    divisions: int = 0
    organisations: int = 0
    users: int = 0
    elders_60_plus: int = 0
    created: bool = False
    notes: list[str] = field(default_factory=list)


def demo_city_exists() -> bool:
    return Division.objects.filter(code=CITY_CODE).exists()


def _jitter(
    rng: random.Random, centre: tuple[float, float], spread: float
) -> tuple[Decimal, Decimal]:
    lat = min(
        max(centre[0] + rng.uniform(-spread, spread), float(BBOX[0]) + 0.01), float(BBOX[1]) - 0.01
    )
    lng = min(
        max(centre[1] + rng.uniform(-spread, spread), float(BBOX[2]) + 0.01), float(BBOX[3]) - 0.01
    )
    return Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")


def _name(rng: random.Random, used: set[str], suffix: str) -> str:
    while True:
        candidate = rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + suffix
        if candidate not in used and candidate[0] != candidate[1]:
            used.add(candidate)
            return candidate


def _build_divisions(rng: random.Random, actor: SystemActor) -> dict[str, list[Division]]:
    city_row = {
        "code": CITY_CODE,
        "name": CITY_NAME,
        "level": DivisionLevel.CITY,
        "parent": None,
        "is_urban": True,
        "centroid_lat": Decimal(str(CENTRE[0])),
        "centroid_lng": Decimal(str(CENTRE[1])),
        "bbox_min_lat": BBOX[0],
        "bbox_max_lat": BBOX[1],
        "bbox_min_lng": BBOX[2],
        "bbox_max_lng": BBOX[3],
    }
    (city,) = division_create_many(actor=actor, rows=[city_row])
    districts = division_create_many(actor=actor, rows=_district_rows(rng, city))
    used: set[str] = set()
    streets = division_create_many(actor=actor, rows=_street_rows(rng, districts, used))
    communities = division_create_many(actor=actor, rows=_community_rows(rng, streets, used))
    return {"city": [city], "district": districts, "street": streets, "community": communities}


CHILD_LEVEL = {
    DivisionLevel.CITY: DivisionLevel.DISTRICT,
    DivisionLevel.DISTRICT: DivisionLevel.STREET,
    DivisionLevel.STREET: DivisionLevel.COMMUNITY,
}


def _division_row(
    rng: random.Random,
    code: str,
    parent: Division,
    urban: bool,
    centre: tuple[float, float],
    spread: float,
) -> dict[str, Any]:
    """A division one level below ``parent`` (its name still to give), its centroid within
    ``spread`` of ``centre``."""
    lat, lng = _jitter(rng, centre, spread)
    return {
        "code": code,
        "level": CHILD_LEVEL[DivisionLevel(parent.level)],
        "parent": parent,
        "is_urban": urban,
        "centroid_lat": lat,
        "centroid_lng": lng,
    }


def _district_rows(rng: random.Random, city: Division) -> list[dict[str, Any]]:
    rows = []
    for index, name in enumerate(URBAN_DISTRICTS + RURAL_COUNTIES):
        urban = name in URBAN_DISTRICTS
        # GB/T 2260: districts are numbered 01-20, counties from 21.
        number = 2 + index if urban else 21 + index - len(URBAN_DISTRICTS)
        centre = (
            (CENTRE[0] + rng.uniform(-0.08, 0.08), CENTRE[1] + rng.uniform(-0.1, 0.1))
            if urban
            else (CENTRE[0] + rng.choice([-0.3, 0.3]), CENTRE[1] + rng.uniform(-0.35, 0.35))
        )
        code = f"{CITY_CODE[:4]}{number:02d}000000"
        rows.append(_division_row(rng, code, city, urban, centre, 0.01) | {"name": name})
    return rows


def _street_rows(
    rng: random.Random, districts: list[Division], used: set[str]
) -> list[dict[str, Any]]:
    rows = []
    for district in districts:
        count = 7 if district.is_urban else 6
        centre = (float(district.centroid_lat or 0), float(district.centroid_lng or 0))
        for number in range(1, count + 1):
            suffix = "街道" if district.is_urban else rng.choice(["镇", "镇", "乡"])
            spread = 0.04 if district.is_urban else 0.12
            code = f"{district.code[:6]}{number:03d}000"
            row = _division_row(rng, code, district, district.is_urban, centre, spread)
            rows.append(row | {"name": _name(rng, used, suffix)})
    return rows


def _community_rows(
    rng: random.Random, streets: list[Division], used: set[str]
) -> list[dict[str, Any]]:
    rows = []
    for street in streets:
        urban = street.is_urban
        count = rng.randint(7, 9) if urban else rng.randint(6, 7)
        centre = (float(street.centroid_lat or 0), float(street.centroid_lng or 0))
        for number in range(1, count + 1):
            # Residents' committees are numbered 001-199, village committees 200-399.
            local = number if urban else 200 + number
            spread = 0.012 if urban else 0.04
            code = f"{street.code[:9]}{local:03d}"
            row = _division_row(rng, code, street, urban, centre, spread)
            row["name"] = _name(rng, used, "社区" if urban else "村")
            row["population_60_plus"] = rng.randint(1200, 2600) if urban else rng.randint(400, 1100)
            rows.append(row)
    return rows


def _org(
    rng: random.Random, fake: Faker, division: Division, kind: str, name: str, **extra: Any
) -> dict[str, Any]:
    centre = (float(division.centroid_lat or CENTRE[0]), float(division.centroid_lng or CENTRE[1]))
    lat, lng = _jitter(rng, centre, 0.006)
    return {
        "name": name,
        "kind": kind,
        "division": division,
        "address": f"{CITY_NAME}{fake.street_name()}{rng.randint(1, 300)}号",
        "lat": lat,
        "lng": lng,
        "status": OrganisationStatus.ACTIVE,
        "phone": f"0371-{rng.randint(60000000, 69999999)}",
    } | extra


class _Orgs:
    """Organisation rows of the demo city, with serial licence numbers."""

    def __init__(self, rng: random.Random, fake: Faker) -> None:
        self.rng, self.fake = rng, fake
        self.serial = iter(range(1, 100000))
        self.operators: list[Organisation] = []
        self.rows: list[dict[str, Any]] = []

    def licence(self, division: Division, prefix: str) -> str:
        return f"{prefix}{division.code[:6]}{next(self.serial):05d}"

    def add(self, division: Division, kind: str, name: str, **extra: Any) -> None:
        self.rows.append(_org(self.rng, self.fake, division, kind, name, **extra))

    def operator(self, chance: float) -> Organisation | None:
        return self.rng.choice(self.operators) if self.rng.random() < chance else None


def _build_organisations(
    rng: random.Random, fake: Faker, actor: SystemActor, tree: dict[str, list[Division]]
) -> list[Organisation]:
    (city,) = tree["city"]
    orgs = _Orgs(rng, fake)
    # Third-party operators first: stations and centres below name them.
    operator_rows = [
        _org(
            rng,
            fake,
            rng.choice(tree["district"][:4]),
            K.THIRD_PARTY_OPERATOR,
            f"{fake.company_prefix()}{name}养老服务运营有限公司",
            licence_number=orgs.licence(city, "91"),
            ownership=Ownership.PRIVATE,
        )
        for name in ("颐康", "福乐", "安心", "长青", "乐龄", "康寿")
    ]
    orgs.operators = organisation_create_many(actor=actor, rows=operator_rows)
    orgs.add(city, K.CIVIL_AFFAIRS_BUREAU, f"{CITY_NAME}民政局")
    for district in tree["district"]:
        orgs.add(district, K.CIVIL_AFFAIRS_BUREAU, f"{district.name}民政局")
    for street in tree["street"]:
        _street_organisations(orgs, street)
    for community in tree["community"]:
        _community_organisations(orgs, community)
    _institutions(orgs, tree)
    urban_communities = [c for c in tree["community"] if c.is_urban]
    for _ in range(30):
        community = rng.choice(urban_communities)
        orgs.add(
            community,
            K.HOME_CARE_COMPANY,
            f"{fake.company_prefix()}居家养老服务有限公司",
            ownership=Ownership.PRIVATE,
            licence_number=orgs.licence(community, "91"),
        )
    return orgs.operators + organisation_create_many(actor=actor, rows=orgs.rows)


def _street_organisations(orgs: _Orgs, street: Division) -> None:
    """The street office, a day-care centre in every street (DOMAIN: "day-care centres in
    every street"), and a public rural care home (敬老院) in each township."""
    office = f"{street.name}办事处" if street.is_urban else f"{street.name}人民政府"
    orgs.add(street, K.STREET_OFFICE, office)
    orgs.add(
        street,
        K.DAY_CARE_CENTRE,
        f"{street.name}日间照料中心",
        ownership=Ownership.PUBLIC,
        licence_number=orgs.licence(street, "RZ"),
        operator=orgs.operator(0.4),
    )
    if not street.is_urban:
        total = orgs.rng.randint(60, 160)
        orgs.add(
            street,
            K.CARE_INSTITUTION,
            f"{street.name}敬老院",
            ownership=Ownership.PUBLIC,
            licence_number=orgs.licence(street, "YL"),
            total_beds=total,
            nursing_beds=round(total * orgs.rng.uniform(0.55, 0.8)),
            occupied_beds=round(total * orgs.rng.uniform(0.55, 0.75)),
        )


def _community_organisations(orgs: _Orgs, community: Division) -> None:
    """The committee; a station in every urban community and about 72% of rural ones
    (DOMAIN figures); a canteen in about a fifth of urban communities."""
    committee = "社区居民委员会" if community.is_urban else "村民委员会"
    orgs.add(community, K.COMMUNITY_COMMITTEE, f"{community.name}{committee}")
    if community.is_urban or orgs.rng.random() < 0.72:
        orgs.add(
            community,
            K.COMMUNITY_STATION,
            f"{community.name}养老服务站",
            ownership=Ownership.PUBLIC,
            licence_number=orgs.licence(community, "ZD"),
            operator=orgs.operator(0.3),
        )
    if community.is_urban and orgs.rng.random() < 0.2:
        orgs.add(
            community,
            K.ELDERLY_CANTEEN,
            f"{community.name}老年食堂",
            ownership=Ownership.PUBLIC,
            licence_number=orgs.licence(community, "JY"),
            operator=orgs.operator(0.3),
        )


def _institutions(orgs: _Orgs, tree: dict[str, list[Division]]) -> None:
    """Urban care institutions, public and private, to about 38 beds per 1,000 elders."""
    rng = orgs.rng
    by_parent: dict[int, list[Division]] = {}
    for division in tree["street"] + tree["community"]:
        by_parent.setdefault(division.parent_id or 0, []).append(division)
    elders = sum(c.population_60_plus for c in tree["community"])
    rural_beds = sum(r.get("total_beds") or 0 for r in orgs.rows)
    target = round(elders * 38 / 1000) - rural_beds
    urban_streets = [s for s in tree["street"] if s.is_urban]
    while target > 0:
        street = rng.choice(urban_streets)
        community = rng.choice(by_parent[street.pk])
        total = min(target, rng.choice([80, 120, 150, 200, 260, 320, 400]))
        target -= total
        public = rng.random() < 0.44
        name = "社会福利中心" if public else f"{orgs.fake.company_prefix()}颐养院"
        orgs.add(
            community,
            K.CARE_INSTITUTION,
            f"{street.name[:2]}{name}",
            ownership=Ownership.PUBLIC if public else Ownership.PRIVATE,
            licence_number=orgs.licence(community, "YL"),
            total_beds=total,
            nursing_beds=round(total * rng.uniform(0.6, 0.85)),
            occupied_beds=round(total * rng.uniform(0.72, 0.92)),
            operator=(rng.choice(orgs.operators) if not public and rng.random() < 0.15 else None),
        )


def _demo_users(tree: dict[str, list[Division]], password: str) -> int:
    district = tree["district"][0]
    street = next(s for s in tree["street"] if s.parent_id == district.pk)
    community = next(c for c in tree["community"] if c.parent_id == street.pk)
    in_district = Organisation.objects.filter(division__code__startswith=district.code[:6])
    operator = (
        Organisation.objects.filter(kind=K.THIRD_PARTY_OPERATOR, operated__isnull=False)
        .order_by("id")
        .first()
    )
    home_care = in_district.filter(kind=K.HOME_CARE_COMPANY).order_by("id").first() or (
        Organisation.objects.filter(kind=K.HOME_CARE_COMPANY).order_by("id").first()
    )
    places: dict[str | None, dict[str, Any]] = {
        "city": {"division": tree["city"][0]},
        "district": {"division": district},
        "street": {"division": street},
        "community": {"division": community},
        "operator": {"organisation": operator},
        "home_care": {"organisation": home_care},
        # The staff of one demo canteen (the counter): the district's first canteen.
        "canteen": {
            "organisation": in_district.filter(kind=K.ELDERLY_CANTEEN).order_by("id").first()
            or Organisation.objects.filter(kind=K.ELDERLY_CANTEEN).order_by("id").first()
        },
        None: {},
    }
    users = []
    for username, role, place in DEMO_USERS:
        user = User(
            username=username, role=role, full_name=_display_name(username), **places[place]
        )
        user.set_password(password)
        users.append(user)
    User.objects.bulk_create(users)
    return len(users)


def _display_name(username: str) -> str:
    return {
        "city_admin": "市管理员",
        "district_officer": "区民政干部",
        "street_officer": "街道干部",
        "community_worker": "社区工作者",
        "provider_manager": "服务商经理",
        "caregiver": "护理员小王",
        "operator": "呼叫中心坐席",
        "assessor": "评估员",
        "auditor": "审计员",
        "family": "家属张女士",
        "canteen": "食堂收银员",
        "evaluator": "第三方评估员",
        "finance_officer": "市财务人员",
    }.get(username, username)


def demo_password_sync(password: str, stamp_file: Any) -> bool:
    """Set every demo login's password to ``password`` if it changed since the last run
    (a digest in ``var/`` tells, so a second start does not re-hash ten passwords)."""
    digest = hashlib.sha256(password.encode("utf-8")).hexdigest()
    if stamp_file.exists() and stamp_file.read_text(encoding="utf-8").strip() == digest:
        return False
    for user in User.objects.filter(username__in=[u for u, _, _ in DEMO_USERS]):
        user.set_password(password)
        user.save(update_fields=["password"])
    stamp_file.parent.mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(digest, encoding="utf-8")
    return True


@transaction.atomic
def demo_city_build(*, seed: int = 20261122, password: str = DEFAULT_PASSWORD) -> DemoCity:
    """Build the demo city if it is not there yet; returns what exists."""
    result = DemoCity()
    if not demo_city_exists():
        rng = random.Random(seed)
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        actor = SystemActor(scope=Scope(division_prefix=CITY_CODE[:4]), username="system:seed-demo")
        tree = _build_divisions(rng, actor)
        _build_organisations(rng, fake, actor, tree)
        _demo_users(tree, password)
        result.created = True
    prefix = CITY_CODE[:4]
    result.divisions = Division.objects.filter(code__startswith=prefix).count()
    result.organisations = Organisation.objects.filter(division__code__startswith=prefix).count()
    result.users = User.objects.filter(username__in=[u for u, _, _ in DEMO_USERS]).count()
    result.elders_60_plus = sum(
        Division.objects.filter(code__startswith=prefix, level="community").values_list(
            "population_60_plus", flat=True
        )
    )
    return result


@dataclass
class DemoElders:
    created: int = 0
    existing: int = 0
    rejected: int = 0
    duplicates: int = 0


def demo_elders_build(
    *, count: int, seed: int = 20261122, progress: Callable[[int], None] | None = None
) -> DemoElders:
    """Fill the demo city's registry with ``count`` generated elders, through the same import
    path a spreadsheet takes. Does nothing when the registry already has elders."""
    from yiyang.demo.addresses import demo_address_register_build
    from yiyang.demo.elders import community_infos, generate_elder_rows
    from yiyang.elders.importing import import_rows, rows_from_dicts
    from yiyang.elders.models import Elder

    existing = Elder.objects.filter(division_code__startswith=CITY_CODE[:4]).count()
    if existing or count <= 0:
        return DemoElders(existing=existing)
    actor = SystemActor(Scope(division_prefix=CITY_CODE[:4]), username="seed-demo")
    demo_address_register_build(city_code=CITY_CODE)
    rows = generate_elder_rows(
        communities=community_infos(), count=count, seed=seed, today=timezone.localdate()
    )
    done = {"rows": 0}

    def chunk_done(counts: Any, last_row: int, errors: Any) -> None:
        done["rows"] += counts.processed
        if progress is not None:
            progress(done["rows"])

    counts = import_rows(actor=actor, rows=rows_from_dicts(rows), on_chunk=chunk_done)
    return DemoElders(
        created=counts.created, rejected=counts.rejected, duplicates=counts.duplicates
    )


def two_factor_notice() -> str | None:
    """What the demo says when a printed login would not ask for a second factor that
    production asks for (demo mode requires none, so every printed login works)."""
    skipped = [role for role in two_factor_roles() if not role_requires_2fa(role)]
    if not skipped:
        return None
    return (
        "Two-factor authentication is not enforced in demo mode, so every login above "
        "works with the password alone; production requires it for "
        + ", ".join(skipped)
        + " (derived from each role's scope and permissions; YIYANG_2FA_REQUIRED_ROLES "
        "replaces the list)."
    )
