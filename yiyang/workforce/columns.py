"""The columns of a caregiver roster spreadsheet: keys and the headers that map to them
(Chinese first: the first alias is what the error report writes)."""

from __future__ import annotations

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name", "full name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "id_number", "id number"),
    "sex": ("性别", "sex", "gender"),
    "education": ("学历", "文化程度", "education"),
    "skill_level": ("技能等级", "职业技能等级", "skill_level", "skill level"),
    "hired_on": ("入职日期", "入职时间", "hired_on", "hire date", "hired on"),
    "left_on": ("离职日期", "离职时间", "left_on", "leave date", "left on"),
    "leave_reason": ("离职原因", "leave_reason", "leave reason", "reason for leaving"),
    "certificate_number": ("证书编号", "certificate_number", "certificate number"),
    "certificate_issued_on": (
        "发证日期",
        "证书发证日期",
        "certificate_issued_on",
        "certificate issued on",
    ),
    "certificate_expires_on": (
        "证书有效期",
        "证书有效期至",
        "certificate_expires_on",
        "certificate expires on",
    ),
    "certificate_issuer": ("发证机关", "发证单位", "certificate_issuer", "certificate issuer"),
    "health_certificate_expires_on": (
        "健康证有效期",
        "健康证有效期至",
        "health_certificate_expires_on",
        "health certificate expires on",
    ),
    "employer": ("所属机构", "机构", "用人单位", "employer", "provider"),
}

REQUIRED_COLUMNS = ("name", "id_number", "hired_on")
HEADERS: dict[str, str] = {key: aliases[0] for key, aliases in COLUMNS.items()}

# Spellings of the skill levels seen in rosters (the standard's names and the older ones).
SKILL_ALIASES = {
    "五级": "5",
    "初级": "5",
    "初级工": "5",
    "五级/初级工": "5",
    "level 5": "5",
    "四级": "4",
    "中级": "4",
    "中级工": "4",
    "四级/中级工": "4",
    "level 4": "4",
    "三级": "3",
    "高级": "3",
    "高级工": "3",
    "三级/高级工": "3",
    "level 3": "3",
    "二级": "2",
    "技师": "2",
    "二级/技师": "2",
    "level 2": "2",
    "一级": "1",
    "高级技师": "1",
    "一级/高级技师": "1",
    "level 1": "1",
}
EDUCATION_ALIASES = {
    "小学": "primary",
    "小学及以下": "primary",
    "初中": "junior",
    "高中": "senior",
    "中专": "senior",
    "职高": "senior",
    "中职": "senior",
    "大专": "college",
    "专科": "college",
    "本科": "bachelor",
    "本科及以上": "bachelor",
    "硕士": "bachelor",
    "研究生": "bachelor",
}
LEAVE_ALIASES = {
    "调动": "transfer",
    "转入其他养老机构": "transfer",
    "薪酬": "pay",
    "待遇低": "pay",
    "工作强度": "workload",
    "健康": "health",
    "身体原因": "health",
    "家庭原因": "family",
    "退休": "retirement",
    "转行": "other_sector",
    "辞退": "dismissed",
    "合同到期": "dismissed",
    "其他": "other",
}
SEX_ALIASES = {"男": "male", "女": "female", "m": "male", "f": "female"}
