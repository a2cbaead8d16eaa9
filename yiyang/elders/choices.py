"""Code lists of the elder record. Values are stable English codes (API, exports, imports);
labels are translated (Chinese first). Imports accept a code, its English label or its
Chinese label, plus the aliases in ``ALIASES``."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class LivingArrangement(models.TextChoices):
    """居住情况 (GB/T 42195 A.2, condensed to what services and indicators use)."""

    ALONE = "alone", _("Living alone")
    SPOUSE_ONLY = "spouse_only", _("With spouse only")
    WITH_CHILDREN = "with_children", _("With children")
    OTHER = "other", _("Other arrangement")
    INSTITUTION = "institution", _("In a care institution")


class MaritalStatus(models.TextChoices):
    """婚姻状况 (GB/T 42195 A.2)."""

    UNMARRIED = "unmarried", _("Never married")
    MARRIED = "married", _("Married")
    WIDOWED = "widowed", _("Widowed")
    DIVORCED = "divorced", _("Divorced")
    UNKNOWN = "unknown", _("Not stated")


class EconomicStatus(models.TextChoices):
    EXTREMELY_POOR = "extremely_poor", _("Extremely poor (te kun)")  # 特困
    MINIMUM_LIVING = "minimum_living", _("Minimum-living allowance (di bao)")  # 低保
    LOW_INCOME = "low_income", _("Low income")  # 低收入
    NONE = "none", _("None of these")


class InsuranceType(models.TextChoices):
    """医疗费用支付方式 (GB/T 42195 A.2), the main scheme."""

    EMPLOYEE = "employee", _("Urban employee basic medical insurance")
    RESIDENT = "resident", _("Urban and rural resident basic medical insurance")
    PUBLIC = "public", _("Public medical care")
    SELF_PAY = "self_pay", _("Self-pay")
    OTHER = "other", _("Other insurance")


class ElderStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("elder status", "Active")
    MOVED_OUT = "moved_out", _("Moved out")
    IN_HOSPITAL = "in_hospital", _("In hospital")
    IN_INSTITUTION = "in_institution", _("In an institution")
    DECEASED = "deceased", _("Deceased")
    # A second record of a person already registered, kept (never deleted) but out of lists.
    DUPLICATE = "duplicate", _("Duplicate record")


class LocationSource(models.TextChoices):
    """Where an elder's coordinates come from (how far a page may trust them)."""

    NONE = "none", _("No coordinates")
    REGISTER = "register", _("Address register")
    # The community's centre: near enough for a map, not for checking a check-in.
    COMMUNITY = "community", _("Community centre (approximate)")
    ENTERED = "entered", _("Entered or picked on the map")


class Relation(models.TextChoices):
    """与老年人关系 (GB/T 42195 A.3)."""

    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Brother or sister")
    RELATIVE = "relative", _("Other relative")
    NEIGHBOUR = "neighbour", _("Neighbour")
    CAREGIVER = "caregiver", _("Hired caregiver")
    COMMUNITY_STAFF = "community_staff", _("Community committee staff")
    OTHER = "other", _("Other")
    SELF = "self", _("The elder themself")


class ChronicCondition(models.TextChoices):
    """疾病诊断 (GB/T 42195 A.4.1), with the ICD-10 codes the standard gives."""

    HYPERTENSION = "I10-I15", _("Hypertension")
    CORONARY = "I25", _("Coronary heart disease")
    DIABETES = "E10-E14", _("Diabetes")
    PNEUMONIA = "J12-J18", _("Pneumonia")
    COPD = "J44", _("Chronic obstructive pulmonary disease")
    CEREBRAL_HAEMORRHAGE = "I60-I62", _("Cerebral haemorrhage")
    CEREBRAL_INFARCTION = "I63", _("Cerebral infarction")
    URINARY_INFECTION = "N39.0", _("Urinary tract infection (within 30 days)")
    PARKINSONISM = "G20-G22", _("Parkinsonism")
    CHRONIC_RENAL_FAILURE = "N18-N19", _("Chronic renal failure")
    CIRRHOSIS = "K74", _("Cirrhosis of the liver")
    PEPTIC_ULCER = "K20-K31", _("Peptic ulcer")
    TUMOUR = "C00-D48", _("Tumour")
    AMPUTATION = "Z89", _("Amputation (within 6 months)")
    FRACTURE = "M84", _("Fracture (within 3 months)")
    EPILEPSY = "G40", _("Epilepsy")
    HYPOTHYROIDISM = "E01-E03", _("Hypothyroidism")
    CATARACT = "H25-H26", _("Cataract")
    GLAUCOMA = "H40-H42", _("Glaucoma")
    OSTEOPOROSIS = "M80-M82", _("Osteoporosis")
    DEMENTIA = "F00-F03", _("Dementia")
    MENTAL_DISORDER = "F04-F99", _("Other mental and behavioural disorders")
    OTHER = "other", _("Other condition")


class Tag(models.TextChoices):
    """Tags computed from the record, never typed in: they stay current by construction."""

    VERY_OLD = "very_old", _("Very old (80+)")
    LIVING_ALONE = "living_alone", _("Living alone")
    # 空巢: elders living without their children, alone or with only their spouse (in
    # ordinary usage those living alone are empty-nest elders too).
    EMPTY_NEST = "empty_nest", _("Empty-nest (alone or with spouse only)")
    EXTREMELY_POOR = "extremely_poor", _("Extremely poor")
    MINIMUM_LIVING = "minimum_living", _("Minimum-living allowance")
    # 失能 and 半失能 are counted apart (DOMAIN.md), from the final assessment's level.
    DISABLED = "disabled", _("Disabled (severe or complete loss of ability)")
    SEMI_DISABLED = "semi_disabled", _("Semi-disabled (mild or moderate loss of ability)")


class AgeBand(models.TextChoices):
    A60_69 = "60-69", _("60 to 69")
    A70_79 = "70-79", _("70 to 79")
    A80_89 = "80-89", _("80 to 89")
    A90_PLUS = "90+", _("90 and over")
    UNDER_60 = "under-60", _("Under 60")


# Age bands as [min, max] years of age (max None: no upper bound).
AGE_BAND_YEARS: dict[str, tuple[int, int | None]] = {
    AgeBand.UNDER_60: (0, 59),
    AgeBand.A60_69: (60, 69),
    AgeBand.A70_79: (70, 79),
    AgeBand.A80_89: (80, 89),
    AgeBand.A90_PLUS: (90, None),
}


class ConsentPurpose(models.TextChoices):
    """What the elder (or guardian) agreed to share; sensitive data needs separate consent
    (PIPL Art. 29)."""

    BASIC_WITH_PROVIDERS = "basic_with_providers", _("Contact details with care providers")
    HEALTH_WITH_PROVIDERS = "health_with_providers", _("Health information with care providers")
    HEALTH_WITH_DOCTORS = "health_with_doctors", _("Health information with family doctors")
    LOCATION_FROM_DEVICES = "location_from_devices", _("Location from wearables and sensors")
    FAMILY_VIEW = "family_view", _("Visits and alerts shown to family members")
    INSURER = "insurer", _("Data to the long-term-care insurer")


class ConsentGiver(models.TextChoices):
    ELDER = "elder", _("The elder")
    GUARDIAN = "guardian", _("Guardian")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("To review")
    DIFFERENT_PEOPLE = "different_people", _("Different people")
    SAME_PERSON = "same_person", _("Same person")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Could not read the file")


# Sensitive field groups: what masking, permissions and the access log talk about.
class SensitiveField(models.TextChoices):
    ID_NUMBER = "id_number", _("ID number")
    PHONES = "phones", _("Phone numbers")
    HEALTH = "health", _("Health information")
    INSURANCE_NUMBER = "insurance_number", _("Medical-insurance number")
    CONTACT_PHONES = "contact_phones", _("Contacts' phone numbers")
    PHOTO = "photo", _("Photo")


class AccessAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    EXPORT = "export", _("Exported")
    HISTORY = "history", _("Viewed history")


# 民族, GB/T 3304 codes. The names are proper nouns and shown as written in the standard.
_ETHNIC_NAMES = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
]
ETHNICITIES: dict[str, str] = {f"{n:02d}": name for n, name in enumerate(_ETHNIC_NAMES, 1)}
ETHNICITIES["97"] = "其他"
ETHNICITIES["98"] = "外国血统中国籍人士"
ETHNICITY_CHOICES = list(ETHNICITIES.items())


# Words the city's spreadsheets use, accepted by imports besides codes and labels.
ALIASES: dict[str, dict[str, str]] = {
    "sex": {"男": Sex.MALE, "女": Sex.FEMALE, "m": Sex.MALE, "f": Sex.FEMALE},
    "living_arrangement": {
        "独居": LivingArrangement.ALONE,
        "与配偶居住": LivingArrangement.SPOUSE_ONLY,
        "与配偶同住": LivingArrangement.SPOUSE_ONLY,
        "仅与配偶居住": LivingArrangement.SPOUSE_ONLY,
        "空巢": LivingArrangement.SPOUSE_ONLY,
        "与子女居住": LivingArrangement.WITH_CHILDREN,
        "与子女同住": LivingArrangement.WITH_CHILDREN,
        "其他": LivingArrangement.OTHER,
        "养老机构": LivingArrangement.INSTITUTION,
        "入住养老机构": LivingArrangement.INSTITUTION,
    },
    "marital_status": {
        "未婚": MaritalStatus.UNMARRIED,
        "已婚": MaritalStatus.MARRIED,
        "有配偶": MaritalStatus.MARRIED,
        "丧偶": MaritalStatus.WIDOWED,
        "离婚": MaritalStatus.DIVORCED,
        "未说明": MaritalStatus.UNKNOWN,
        "不详": MaritalStatus.UNKNOWN,
    },
    "economic_status": {
        "特困": EconomicStatus.EXTREMELY_POOR,
        "特困供养": EconomicStatus.EXTREMELY_POOR,
        "特困人员": EconomicStatus.EXTREMELY_POOR,
        "低保": EconomicStatus.MINIMUM_LIVING,
        "低保户": EconomicStatus.MINIMUM_LIVING,
        "最低生活保障": EconomicStatus.MINIMUM_LIVING,
        "低收入": EconomicStatus.LOW_INCOME,
        "低保边缘": EconomicStatus.LOW_INCOME,
        "无": EconomicStatus.NONE,
        "一般": EconomicStatus.NONE,
        "普通": EconomicStatus.NONE,
    },
    "insurance_type": {
        "城镇职工基本医疗保险": InsuranceType.EMPLOYEE,
        "职工医保": InsuranceType.EMPLOYEE,
        "城乡居民基本医疗保险": InsuranceType.RESIDENT,
        "居民医保": InsuranceType.RESIDENT,
        "新农合": InsuranceType.RESIDENT,
        "公费医疗": InsuranceType.PUBLIC,
        "自费": InsuranceType.SELF_PAY,
        "其他": InsuranceType.OTHER,
    },
    "status": {
        "正常": ElderStatus.ACTIVE,
        "在册": ElderStatus.ACTIVE,
        "迁出": ElderStatus.MOVED_OUT,
        "住院": ElderStatus.IN_HOSPITAL,
        "入住机构": ElderStatus.IN_INSTITUTION,
        "死亡": ElderStatus.DECEASED,
        "已故": ElderStatus.DECEASED,
    },
    "contact_relation": {
        "配偶": Relation.SPOUSE,
        "子女": Relation.CHILD,
        "儿子": Relation.CHILD,
        "女儿": Relation.CHILD,
        "儿媳": Relation.CHILD_IN_LAW,
        "女婿": Relation.CHILD_IN_LAW,
        "孙子女": Relation.GRANDCHILD,
        "孙子": Relation.GRANDCHILD,
        "孙女": Relation.GRANDCHILD,
        "外孙": Relation.GRANDCHILD,
        "外孙女": Relation.GRANDCHILD,
        "兄弟姐妹": Relation.SIBLING,
        "其他亲属": Relation.RELATIVE,
        "亲属": Relation.RELATIVE,
        "邻居": Relation.NEIGHBOUR,
        "雇佣照顾者": Relation.CAREGIVER,
        "保姆": Relation.CAREGIVER,
        "村（居）民委员会工作人员": Relation.COMMUNITY_STAFF,
        "社区工作人员": Relation.COMMUNITY_STAFF,
        "其他": Relation.OTHER,
    },
    "chronic_conditions": {
        "高血压": ChronicCondition.HYPERTENSION,
        "高血压病": ChronicCondition.HYPERTENSION,
        "冠心病": ChronicCondition.CORONARY,
        "糖尿病": ChronicCondition.DIABETES,
        "肺炎": ChronicCondition.PNEUMONIA,
        "慢性阻塞性肺疾病": ChronicCondition.COPD,
        "慢阻肺": ChronicCondition.COPD,
        "脑出血": ChronicCondition.CEREBRAL_HAEMORRHAGE,
        "脑梗塞": ChronicCondition.CEREBRAL_INFARCTION,
        "脑梗死": ChronicCondition.CEREBRAL_INFARCTION,
        "尿路感染": ChronicCondition.URINARY_INFECTION,
        "帕金森综合征": ChronicCondition.PARKINSONISM,
        "帕金森病": ChronicCondition.PARKINSONISM,
        "慢性肾衰竭": ChronicCondition.CHRONIC_RENAL_FAILURE,
        "肝硬化": ChronicCondition.CIRRHOSIS,
        "消化性溃疡": ChronicCondition.PEPTIC_ULCER,
        "肿瘤": ChronicCondition.TUMOUR,
        "截肢": ChronicCondition.AMPUTATION,
        "骨折": ChronicCondition.FRACTURE,
        "癫痫": ChronicCondition.EPILEPSY,
        "甲状腺功能减退症": ChronicCondition.HYPOTHYROIDISM,
        "甲减": ChronicCondition.HYPOTHYROIDISM,
        "白内障": ChronicCondition.CATARACT,
        "青光眼": ChronicCondition.GLAUCOMA,
        "骨质疏松症": ChronicCondition.OSTEOPOROSIS,
        "骨质疏松": ChronicCondition.OSTEOPOROSIS,
        "痴呆": ChronicCondition.DEMENTIA,
        "阿尔茨海默病": ChronicCondition.DEMENTIA,
        "其他精神和行为障碍": ChronicCondition.MENTAL_DISORDER,
        "其他": ChronicCondition.OTHER,
    },
}
# Ethnicity: the code, the name (汉族) or the name without 族 (汉).
ALIASES["ethnicity"] = {name: code for code, name in ETHNICITIES.items()} | {
    name.removesuffix("族"): code for code, name in ETHNICITIES.items() if len(name) > 2
}


class AbilityLevel(models.TextChoices):
    """老年人能力等级 (GB/T 42195-2022), written by the assessments app once one is final."""

    INTACT = "intact", _("Ability intact")
    MILD = "mild", _("Mild loss of ability")
    MODERATE = "moderate", _("Moderate loss of ability")
    SEVERE = "severe", _("Severe loss of ability")
    COMPLETE = "complete", _("Complete loss of ability")


# 失能 (disabled): severe or complete loss of ability; 半失能 (semi-disabled): mild or
# moderate loss. DOMAIN.md asks for the two apart; the city's LTC practice draws the line here.
DISABLED_LEVELS = (AbilityLevel.SEVERE, AbilityLevel.COMPLETE)
SEMI_DISABLED_LEVELS = (AbilityLevel.MILD, AbilityLevel.MODERATE)
EMPTY_NEST_ARRANGEMENTS = (LivingArrangement.ALONE, LivingArrangement.SPOUSE_ONLY)
