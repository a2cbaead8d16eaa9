"""factory_boy factories. Divisions get valid hierarchical codes from their parent."""

from __future__ import annotations

from decimal import Decimal

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiyang.accounts.models import User
from yiyang.core.choices import DivisionLevel
from yiyang.core.models import Division
from yiyang.core.permissions import Role
from yiyang.organisations.choices import OrganisationKind
from yiyang.organisations.models import Organisation

PASSWORD = "Correct-horse-battery-9"
CHILD_DIGITS = {DivisionLevel.DISTRICT: 2, DivisionLevel.STREET: 3, DivisionLevel.COMMUNITY: 3}


def child_code(parent: Division, level: str, number: int) -> str:
    prefix = parent.code_prefix + str(number).zfill(CHILD_DIGITS[level])
    return prefix.ljust(12, "0")


def make_city(code4: str = "4191", name: str = "测试市") -> Division:
    return Division.objects.create(
        code=code4.ljust(12, "0"),
        name=name,
        level=DivisionLevel.CITY,
        centroid_lat=Decimal("34.75"),
        centroid_lng=Decimal("113.65"),
        bbox_min_lat=Decimal("34.3"),
        bbox_max_lat=Decimal("35.2"),
        bbox_min_lng=Decimal("113.1"),
        bbox_max_lng=Decimal("114.2"),
    )


def make_child(parent: Division, level: str, number: int, name: str, **extra: object) -> Division:
    return Division.objects.create(
        code=child_code(parent, level, number),
        name=name,
        level=level,
        parent=parent,
        centroid_lat=Decimal("34.75"),
        centroid_lng=Decimal("113.65"),
        **extra,
    )


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"机构{n:04d}")
    kind = OrganisationKind.COMMUNITY_STATION
    address = factory.Sequence(lambda n: f"测试路{n}号")
    lat = Decimal("34.750000")
    lng = Decimal("113.650000")
    licence_number = factory.Sequence(lambda n: f"LIC{n:06d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.FAMILY
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


def confirmed_totp(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def citizen_id(address6: str, birth: str, seq: int, *, female: bool = False) -> str:
    """A valid 18-character ID number: address code, birth date (YYYYMMDD), sequence."""
    from yiyang.core.idnumber import check_character

    sequence = seq * 2 + (0 if female else 1)  # odd for men, even for women
    first_17 = f"{address6}{birth}{sequence % 1000:03d}"
    return first_17 + check_character(first_17)


_elder_seq = iter(range(1, 10**6))


def make_elder(actor: object, community: Division, **values: object) -> object:
    """An elder created through the service, with a fresh valid ID number by default."""
    from yiyang.elders.services import elder_create

    values.setdefault("name", "张秀英")
    if "id_number" not in values:
        birth = str(values.pop("birth", "19400315"))
        female = bool(values.pop("female", True))
        values["id_number"] = citizen_id(community.code[:6], birth, next(_elder_seq), female=female)
    return elder_create(actor=actor, community=community, **values)  # type: ignore[arg-type]
