"""The demo's home-care figures: what each provider offers, caregivers' profiles and hours,
plan shapes, and the words of notes, cancellations, ratings and the family's complaint."""

from __future__ import annotations

import datetime

from django.utils import timezone

CITY_CODE = "419100000000"
HISTORY_DAYS = 30
# Offered items by provider role, with the price as a share of the city's standard price.
OFFERS = {
    "company": (
        [
            "ZY01",
            "ZY02",
            "ZY03",
            "ZJ01",
            "ZJ02",
            "ZJ03",
            "HL01",
            "HL02",
            "HL03",
            "ZYI01",
            "ZYI02",
            "ZYI03",
            "JW01",
            "JW03",
            "ZC02",
            "KF02",
            "ZJI01",
        ],
        (1.0, 1.12),
    ),
    "company_b": (
        [
            "ZC01",
            "ZC02",
            "ZJ01",
            "ZJ02",
            "HL01",
            "HL03",
            "JW01",
            "JW03",
            "ZYI02",
            "ZX01",
            "KF02",
            "ZY03",
        ],
        (0.95, 1.06),
    ),
    "station": (["ZC01", "ZY03", "ZJ01", "JW01", "JW03", "ZJI02", "HL01", "ZX01"], (0.85, 0.95)),
}
# (qualifications held, skills): caregivers cycle through these profiles.
PROFILES: list[tuple[list[str], list[str]]] = [
    (["elder_care_worker"], ["bathing", "hoist_transfer", "cleaning"]),
    (["elder_care_worker"], ["dementia_care", "cleaning", "counselling", "hoist_transfer"]),
    (["elder_care_worker"], ["bathing", "massage", "hoist_transfer"]),
    (["elder_care_worker", "food_handler"], ["cooking", "cleaning"]),
    (["nurse", "elder_care_worker"], ["wound_care", "escort"]),
    (["food_handler"], ["cleaning", "escort", "cooking"]),
    (["elder_care_worker"], ["hoist_transfer", "escort", "massage"]),
    (["food_handler"], ["cooking", "escort", "driving"]),
]
# (working days, from, to, most minutes a day)
HOURS = [
    ([0, 1, 2, 3, 4], "08:00", "17:00", 420),
    ([0, 1, 2, 3, 4, 5], "08:00", "16:30", 400),
    ([1, 2, 3, 4, 5, 6], "08:30", "17:30", 420),
    ([0, 1, 2, 3, 4], "07:30", "16:00", 420),
    ([2, 3, 4, 5, 6, 0], "08:00", "17:00", 420),
]
# Item -> (windows to choose from, weekday patterns for a plan).
PLAN_SHAPES: dict[str, tuple[list[tuple[str, str]], list[list[int]]]] = {
    "ZY01": ([("09:00", "11:00"), ("14:00", "16:00")], [[1, 4], [0, 3], [2, 5]]),
    "ZY02": ([("09:00", "11:00"), ("14:00", "16:30")], [[2], [4], [1, 4]]),
    "ZY03": ([("10:00", "11:00"), ("15:00", "16:00")], [[2], [5]]),
    "ZJ01": ([("14:00", "16:30"), ("09:00", "11:30")], [[0], [3], [1, 4]]),
    "ZJ02": ([("10:00", "11:30"), ("15:00", "16:30")], [[2], [5], [0, 3]]),
    "HL01": ([("08:30", "10:00"), ("14:30", "16:00")], [[0, 2, 4], [1, 3], [0, 1, 2, 3, 4]]),
    "HL02": ([("09:30", "11:00"), ("14:00", "15:30")], [[0, 3], [1, 4], [0, 2, 4]]),
    "HL03": ([("09:00", "11:30"), ("13:30", "16:00")], [[1, 4], [0, 2, 4]]),
    "ZYI02": ([("09:00", "11:00"), ("14:00", "16:00")], [[0], [3]]),
    "ZYI03": ([("08:30", "09:30"), ("16:00", "17:00")], [[1, 4], [0, 2, 4]]),
    "JW01": ([("15:00", "16:30"), ("10:00", "11:30")], [[2], [4], [1, 5]]),
    "JW03": ([("10:00", "11:00"), ("15:30", "16:30")], [[1], [3], [0, 4]]),
    "ZC01": (
        [
            ("10:30", "11:00"),
            ("10:45", "11:15"),
            ("11:00", "11:30"),
            ("11:15", "11:45"),
            ("11:30", "12:00"),
            ("11:45", "12:15"),
        ],
        [[0, 1, 2, 3, 4], [0, 2, 4]],
    ),
    "ZC02": ([("10:30", "12:00"), ("16:00", "17:30")], [[0, 2, 4], [1, 3]]),
    "KF02": ([("09:30", "10:30"), ("14:30", "15:30")], [[1, 4], [2]]),
    "ZX01": ([("15:00", "16:30"), ("09:00", "10:30")], [[1, 3], [5]]),
}
ONE_OFF_SHAPES: dict[str, list[tuple[str, str]]] = {
    "ZYI01": [("08:00", "12:00"), ("13:00", "17:00")],
    "ZJ03": [("09:00", "11:30"), ("14:00", "16:30")],
    "ZY03": [("10:00", "11:00"), ("15:00", "16:00")],
    "ZJI01": [("10:00", "11:30"), ("14:00", "15:30")],
    "ZJI02": [("09:30", "10:30"), ("14:30", "15:30")],
    "ZYI02": [("09:00", "11:00")],
    "JW01": [("15:00", "16:30")],
    "ZJ01": [("14:00", "16:30")],
}
NOTES = [
    "老人精神状态良好，午饭吃了一碗面。",
    "已提醒老人按时服用降压药。",
    "地面湿滑处已放防滑垫。",
    "老人说膝盖有些疼，建议家属带去复查。",
    "冰箱里的剩菜已清理。",
    "和老人聊了半小时家常，心情不错。",
]
NOT_HOME_NOTES = [
    "敲门无人应答，电话联系女儿，得知老人去医院复查了。",
    "老人去女儿家小住，家属忘记取消预约。",
]
ACCEPT_REASONS = [
    "已电话回访老人，确认服务完成。",
    "定位偏差，小区楼间距大，核实无误。",
    "老人家属证实护理员到场。",
]
CANCEL_REASONS = ["老人住院", "家属临时有事", "老人外出探亲", "老人身体不适，改天再约"]
RATING_COMMENTS = {
    5: ["护理员很细心，老人很满意。", "准时到，干活利索。", "小王很有耐心，谢谢！", ""],
    4: ["总体不错。", "服务挺好，就是来得稍晚。", ""],
    3: ["一般，清洁不太彻底。", "时间有点短。"],
    2: ["迟到四十分钟，也没有提前打电话。"],
}
COMPLAINT_TEXT = (
    "护理员比约定时间晚了四十多分钟，没有提前打电话说明，老人一直在门口等。"
    "希望以后迟到能提前告知家属。"
)


def _t(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


def _aware(day: datetime.date, at: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, at))
