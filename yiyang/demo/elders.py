"""Generated elders for the demo city and the benchmarks, as a city's spreadsheet holds them.

Distributions (deterministic for a seed):
- age 60+ after China's 7th census (2020) pyramid: 60-64 28%, 65-69 25%, 70-74 18%,
  75-79 12%, 80-84 9%, 85-89 5%, 90-94 2.3%, 95-99 0.6%, 100+ 0.1%; women from about half
  at 60-64 to about two thirds at 90+;
- living arrangement: about 15% alone (独居), about 20% with the spouse only (空巢), about 2%
  in an institution, about 8% other, the rest with children; widowhood rising with age;
- economic status: about 1% extremely poor (特困), 3% minimum-living allowance (低保), 4% low
  income, a little more in rural communities;
- chronic conditions (GB/T 42195 A.4.1 names) with prevalence rising with age; about a
  quarter have none;
- valid 18-character ID numbers whose address code is the community's county, unique;
- about 0.05% near-duplicates: an earlier elder's name and birth date in the same community
  under a different ID number (for the review list).
"""

from __future__ import annotations

import bisect
import datetime
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate

from yiyang.core.idnumber import check_character

AGE_BANDS = [
    (60, 64, 28.0),
    (65, 69, 25.0),
    (70, 74, 18.0),
    (75, 79, 12.0),
    (80, 84, 9.0),
    (85, 89, 5.0),
    (90, 94, 2.3),
    (95, 99, 0.6),
    (100, 104, 0.1),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
DOUBLE_SURNAMES = ["欧阳", "司马", "上官", "诸葛", "东方"]
FEMALE_GIVEN = [
    "秀英",
    "桂英",
    "秀兰",
    "玉兰",
    "桂兰",
    "淑珍",
    "凤英",
    "玉珍",
    "玉英",
    "兰英",
    "淑兰",
    "素珍",
    "桂珍",
    "秀珍",
    "凤兰",
    "桂芳",
    "玉梅",
    "淑英",
    "翠英",
    "秀云",
    "英",
    "兰",
    "珍",
    "芳",
    "梅",
    "华",
    "霞",
    "萍",
]
MALE_GIVEN = [
    "建国",
    "国强",
    "德明",
    "志强",
    "建华",
    "国华",
    "文华",
    "明",
    "军",
    "伟",
    "勇",
    "德胜",
    "宝山",
    "福生",
    "长林",
    "永祥",
    "振华",
    "树林",
    "玉山",
    "金生",
    "洪",
    "海",
    "平",
    "强",
    "斌",
    "忠",
    "庆丰",
    "广才",
]
CHILD_GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀梅",
    "红霞",
    "建军",
    "海燕",
    "晓东",
    "志刚",
]
CONDITIONS = [  # name, prevalence at 60-69, at 90+
    ("高血压病", 0.45, 0.65),
    ("糖尿病", 0.15, 0.20),
    ("冠心病", 0.10, 0.25),
    ("慢性阻塞性肺疾病", 0.05, 0.14),
    ("脑梗塞", 0.05, 0.15),
    ("骨质疏松症", 0.07, 0.20),
    ("白内障", 0.06, 0.25),
    ("痴呆", 0.02, 0.20),
    ("帕金森综合征", 0.01, 0.04),
    ("慢性肾衰竭", 0.01, 0.04),
    ("青光眼", 0.01, 0.03),
    ("甲状腺功能减退症", 0.02, 0.03),
]
OTHER_ETHNICITIES = ["回族", "满族", "蒙古族", "壮族", "土家族"]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "158",
    "159",
    "170",
    "176",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
]


URBAN_BUILDINGS, RURAL_GROUPS = 40, 12  # the demo address register holds each of them
UNREGISTERED_SHARE, NO_ADDRESS_SHARE = 0.01, 0.005  # the data-quality list's examples


@dataclass(frozen=True)
class CommunityInfo:
    code: str
    name: str
    lat: float | None
    lng: float | None
    is_urban: bool
    weight: int


def community_infos() -> list[CommunityInfo]:
    """The communities of the database, weighted by their residents aged 60+."""
    from yiyang.core.models import Division

    return [
        CommunityInfo(
            code=d.code,
            name=d.name,
            is_urban=d.is_urban,
            lat=float(d.centroid_lat) if d.centroid_lat is not None else None,
            lng=float(d.centroid_lng) if d.centroid_lng is not None else None,
            weight=max(d.population_60_plus, 1),
        )
        for d in Division.objects.filter(level="community").order_by("code")
    ]


def _years_before(today: datetime.date, years: int) -> datetime.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def generate_elder_rows(
    *, communities: Sequence[CommunityInfo], count: int, seed: int, today: datetime.date
) -> Iterator[dict[str, str]]:
    """``count`` rows keyed by the import's column keys, values as a spreadsheet holds them."""
    if not communities:
        return
    rng, odd = random.Random(seed), random.Random(seed + 1)
    community_weights = list(accumulate(c.weight for c in communities))
    band_weights = list(accumulate(w for _, _, w in AGE_BANDS))
    used: set[str] = set()
    earlier: list[tuple[str, str, CommunityInfo]] = []
    for _ in range(count):
        community = communities[
            bisect.bisect(community_weights, rng.random() * community_weights[-1])
        ]
        low, high, _weight = AGE_BANDS[bisect.bisect(band_weights, rng.random() * band_weights[-1])]
        age = rng.randint(low, high)
        female_share = 0.5 + 0.17 * min(max(age - 60, 0), 30) / 30
        female = rng.random() < female_share
        born_after = _years_before(today, age + 1) + datetime.timedelta(days=1)
        birth = born_after + datetime.timedelta(days=rng.randrange(365))
        if birth > today:
            birth = today
        name = None
        if earlier and rng.random() < 0.0005:  # a near-duplicate of an earlier elder
            name, birth_text, community = rng.choice(earlier)
            birth = datetime.date.fromisoformat(birth_text)
        surname = rng.choice(DOUBLE_SURNAMES) if rng.random() < 0.004 else rng.choice(SURNAMES)
        if name is None:
            name = surname + rng.choice(FEMALE_GIVEN if female else MALE_GIVEN)
        else:
            female = name[-1] in "".join(FEMALE_GIVEN)
        id_number = _id_number(rng, used, community.code[:6], birth, female)
        if len(earlier) < 5000:
            earlier.append((name, birth.isoformat(), community))
        row = _row(rng, today, community, name, surname, id_number, birth, age, female)
        roll = odd.random()  # a stream of its own: the other values stay those of the seed
        if roll < UNREGISTERED_SHARE:  # a cottage the register lacks: the community centre
            row["address"] = f"{community.name}{odd.randint(1, 9)}号平房"
        elif roll < UNREGISTERED_SHARE + NO_ADDRESS_SHARE:  # no address: no coordinates
            row["address"] = ""
        yield row


def _id_number(
    rng: random.Random, used: set[str], address: str, birth: datetime.date, female: bool
) -> str:
    while True:
        sequence = rng.randrange(500) * 2 + (0 if female else 1)
        first_17 = f"{address}{birth:%Y%m%d}{sequence:03d}"
        if first_17 not in used:
            used.add(first_17)
            return first_17 + check_character(first_17)


def _row(
    rng: random.Random,
    today: datetime.date,
    community: CommunityInfo,
    name: str,
    surname: str,
    id_number: str,
    birth: datetime.date,
    age: int,
    female: bool,
) -> dict[str, str]:
    marital, living = _household(rng, age, female)
    roll = rng.random() * (0.8 if community.is_urban else 1.25)
    economic = (
        "特困" if roll < 0.01 else "低保" if roll < 0.04 else "低收入" if roll < 0.08 else "无"
    )
    elderly = min(max(age - 60, 0), 30) / 30
    conditions = [
        c for c, young, old in CONDITIONS if rng.random() < young + (old - young) * elderly
    ]
    ethnicity = "汉族" if rng.random() < 0.95 else rng.choice(OTHER_ETHNICITIES)
    phones: list[str] = []
    roll = rng.random()
    if roll < 0.95:
        phones.append(_mobile(rng))
    if roll < 0.10:
        phones.append(f"0371{rng.randrange(10**8):08d}")
    address, insurance = _home(rng, community)
    lat = lng = ""  # the import locates the home from the address register
    status, deceased_on = _status(rng, today, birth)
    relation, contact_name = _contact(rng, surname, marital, female)
    doctor = ""
    if rng.random() < 0.6:
        doctor = f"{rng.choice(SURNAMES)}{rng.choice(CHILD_GIVEN)}（{community.name}卫生服务站）"
    disability = ""
    if rng.random() < 0.05:
        disability = f"{id_number}{rng.randint(1, 7)}{rng.randint(1, 4)}"
    return {
        "name": name,
        "id_number": id_number,
        "sex": "女" if female else "男",
        "birth_date": birth.isoformat(),
        "ethnicity": ethnicity,
        "phones": "、".join(phones),
        "community": community.code,
        "address": address,
        "lat": lat,
        "lng": lng,
        "living_arrangement": living,
        "marital_status": marital,
        "economic_status": economic,
        "disability_certificate": disability,
        "chronic_conditions": "、".join(conditions),
        "insurance_type": insurance,
        "insurance_number": f"{community.code[:6]}{rng.randrange(10**10):010d}"
        if rng.random() < 0.9
        else "",
        "family_doctor": doctor,
        "contact_name": contact_name,
        "contact_relation": relation,
        "contact_phone": _mobile(rng),
        "status": status,
        "deceased_on": deceased_on,
    }


def _household(rng: random.Random, age: int, female: bool) -> tuple[str, str]:
    """Marital status (widowhood grows with age, faster for women) and living arrangement."""
    widowed_chance = min(0.05 + (age - 60) * (0.022 if female else 0.011), 0.85)
    roll = rng.random()
    if roll < widowed_chance:
        marital = "丧偶"
    elif roll < widowed_chance + 0.03:
        marital = "离婚"
    elif roll < widowed_chance + 0.045:
        marital = "未婚"
    else:
        marital = "已婚"
    roll = rng.random()
    if roll < 0.02:
        living = "养老机构"
    elif marital == "已婚":
        living = "与配偶居住" if roll < 0.38 else ("其他" if roll < 0.42 else "与子女居住")
    else:  # no spouse: alone, with children or other
        living = "独居" if roll < 0.40 else ("其他" if roll < 0.52 else "与子女居住")
    return marital, living


def _home(rng: random.Random, community: CommunityInfo) -> tuple[str, str]:
    """The address (building and flat in town, group and house in a village) and insurance."""
    if community.is_urban:
        address = (
            f"{community.name}{rng.randint(1, URBAN_BUILDINGS)}号楼{rng.randint(1, 6)}单元"
            f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
        )
        insurance = "城镇职工基本医疗保险" if rng.random() < 0.6 else "城乡居民基本医疗保险"
    else:
        address = f"{community.name}{rng.randint(1, RURAL_GROUPS)}组{rng.randint(1, 80)}号"
        insurance = "城乡居民基本医疗保险" if rng.random() < 0.92 else "城镇职工基本医疗保险"
    if community.lat is not None and community.lng is not None:  # drawn: keeps the stream
        _drawn = rng.random(), rng.random()
    return address, insurance


def _status(rng: random.Random, today: datetime.date, birth: datetime.date) -> tuple[str, str]:
    """The registry status: a few deceased (with a date), in hospital or moved out."""
    roll = rng.random()
    status, deceased_on = "正常", ""
    if roll < 0.01:
        status = "死亡"
        deceased_on = (today - datetime.timedelta(days=rng.randrange(1, 730))).isoformat()
        if deceased_on < birth.isoformat():
            status, deceased_on = "正常", ""
    elif roll < 0.025:
        status = "住院"
    elif roll < 0.03:
        status = "迁出"
    return status, deceased_on


def _contact(rng: random.Random, surname: str, marital: str, female: bool) -> tuple[str, str]:
    """The first emergency contact: mostly a son or daughter."""
    relation_roll = rng.random()
    if relation_roll < 0.75:
        son = rng.random() < 0.5
        relation = "儿子" if son else "女儿"
        contact_name = (surname if son else rng.choice(SURNAMES)) + rng.choice(CHILD_GIVEN)
    elif relation_roll < 0.85 and marital == "已婚":
        relation, contact_name = (
            "配偶",
            rng.choice(SURNAMES) + rng.choice(MALE_GIVEN if female else FEMALE_GIVEN),
        )
    elif relation_roll < 0.95:
        relation, contact_name = "邻居", rng.choice(SURNAMES) + rng.choice(CHILD_GIVEN)
    else:
        relation, contact_name = "社区工作人员", rng.choice(SURNAMES) + rng.choice(CHILD_GIVEN)
    return relation, contact_name
