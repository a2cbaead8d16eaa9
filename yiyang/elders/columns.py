"""The columns of an elder spreadsheet: canonical keys and the header names that map to them.

Headers are matched after normalisation (``tabular.normalise_header``): NFKC, no spaces,
no leading ``*``, no trailing bracketed note such as ``(yyyy-mm-dd)``, case-folded. The
first alias in Chinese is what the error report and exports write.
"""

from __future__ import annotations

from typing import Any

from yiyang.elders import choices

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "老人姓名", "name", "full name"),
    "id_number": (
        "公民身份号码",
        "身份证号码",
        "身份证号",
        "身份证",
        "id_number",
        "id number",
        "citizen id",
    ),
    "sex": ("性别", "sex", "gender"),
    "birth_date": ("出生日期", "出生年月日", "birth_date", "birth date", "date of birth"),
    "ethnicity": ("民族", "ethnicity"),
    "phones": (
        "联系电话",
        "电话",
        "手机号码",
        "手机",
        "联系方式",
        "phones",
        "phone",
        "phone numbers",
    ),
    "community": ("所属社区", "社区", "社区（村）", "村（社区）", "community"),
    "address": ("居住地址", "家庭住址", "户籍地址", "地址", "address"),
    "lat": ("纬度", "lat", "latitude"),
    "lng": ("经度", "lng", "lon", "longitude"),
    "living_arrangement": ("居住情况", "居住状况", "living_arrangement", "living arrangement"),
    "marital_status": ("婚姻状况", "marital_status", "marital status"),
    "economic_status": ("经济状况", "经济困难类型", "economic_status", "economic status"),
    "disability_certificate": (
        "残疾证号",
        "残疾证",
        "disability_certificate",
        "disability certificate",
    ),
    "chronic_conditions": ("慢性病", "疾病诊断", "chronic_conditions", "chronic conditions"),
    "insurance_type": ("医疗保险类型", "医保类型", "insurance_type", "insurance type"),
    "insurance_number": ("医保卡号", "医保号", "社保卡号", "insurance_number", "insurance number"),
    "family_doctor": ("签约家庭医生", "家庭医生", "family_doctor", "family doctor"),
    "contact_name": ("紧急联系人", "联系人姓名", "contact_name", "contact name"),
    "contact_relation": ("与老人关系", "联系人关系", "contact_relation", "contact relation"),
    "contact_phone": ("紧急联系人电话", "联系人电话", "contact_phone", "contact phone"),
    "status": ("状态", "人员状态", "status"),
    "deceased_on": ("死亡日期", "deceased_on", "date of death"),
}

REQUIRED_COLUMNS = ("name", "id_number", "community")

# The Chinese header each key is written under (templates, reports, exports).
HEADERS: dict[str, str] = {key: aliases[0] for key, aliases in COLUMNS.items()}

# The choice list each coded column takes, evaluated once (an enum's ``choices`` is
# rebuilt on every access).
CHOICE_COLUMNS: dict[str, Any] = {
    "sex": choices.Sex.choices,
    "ethnicity": choices.ETHNICITY_CHOICES,
    "living_arrangement": choices.LivingArrangement.choices,
    "marital_status": choices.MaritalStatus.choices,
    "economic_status": choices.EconomicStatus.choices,
    "insurance_type": choices.InsuranceType.choices,
    "status": choices.ElderStatus.choices,
}
CONDITION_CHOICES = choices.ChronicCondition.choices  # chronic_conditions: several, split
RELATION_CHOICES = choices.Relation.choices  # contact_relation
