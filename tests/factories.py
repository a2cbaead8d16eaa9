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
        code=code4.ljust(12, "0"), name=name, level=DivisionLevel.CITY,
        centroid_lat=Decimal("34.75"), centroid_lng=Decimal("113.65"),
        bbox_min_lat=Decimal("34.3"), bbox_max_lat=Decimal("35.2"),
        bbox_min_lng=Decimal("113.1"), bbox_max_lng=Decimal("114.2"),
    )  # fmt: skip


def make_child(parent: Division, level: str, number: int, name: str, **extra: object) -> Division:
    return Division.objects.create(
        code=child_code(parent, level, number), name=name, level=level, parent=parent,
        centroid_lat=Decimal("34.75"), centroid_lng=Decimal("113.65"), **extra,
    )  # fmt: skip


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
