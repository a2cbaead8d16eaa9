"""Fixed vocabularies of the caregiver workforce."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The national occupational skill standard for elder-care workers (养老护理员国家职业技能
# 标准, 2019 edition, 人社厅发〔2019〕92号) has five levels, from 五级/初级工 (entry) to
# 一级/高级技师 (top). Codes are the level numbers, so "at least level 4" is ``code <= "4"``.
SKILL_STANDARD_EDITION = "2019"


class SkillLevel(models.TextChoices):
    LEVEL_5 = "5", _("Level 5 (junior worker)")
    LEVEL_4 = "4", _("Level 4 (intermediate worker)")
    LEVEL_3 = "3", _("Level 3 (senior worker)")
    LEVEL_2 = "2", _("Level 2 (technician)")
    LEVEL_1 = "1", _("Level 1 (senior technician)")


class Education(models.TextChoices):
    PRIMARY = "primary", _("Primary school or less")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("Senior secondary or vocational school")
    COLLEGE = "college", _("Junior college")
    BACHELOR = "bachelor", _("Bachelor's degree or higher")


class LeaveReason(models.TextChoices):
    # A move to another care employer: the person stays in the city's care sector, so it
    # does not count in the sector's turnover (it does in the provider's).
    TRANSFER = "transfer", _("Moved to another care employer")
    PAY = "pay", _("Pay")
    WORKLOAD = "workload", _("Workload or working hours")
    HEALTH = "health", _("Health")
    FAMILY = "family", _("Family reasons")
    RETIREMENT = "retirement", _("Retirement")
    OTHER_SECTOR = "other_sector", _("Left for another sector")
    DISMISSED = "dismissed", _("Contract ended or dismissed")
    OTHER = "other", _("Other")


class OrganiserKind(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    PROVIDER = "provider", _("Provider")
    SCHOOL = "school", _("School")


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    ATTENDED = "attended", _("Attended")
    PASSED = "passed", _("Passed")
    FAILED = "failed", pgettext_lazy("enrolment status", "Failed")


class SubsidyKind(models.TextChoices):
    # 入职补贴 is paid once in a person's life in the city; 岗位补贴 monthly.
    ENTRY = "entry", _("Entry subsidy")
    POST = "post", _("Post subsidy")


ONE_OFF_KINDS = frozenset({SubsidyKind.ENTRY})
