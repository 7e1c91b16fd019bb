"""The demo data: the Shekou Community Foundation's 2020 epidemic story (an interview the
project was built from; docs/architecture.md tells it).

Figures are the article's: phase 1 raised 20,670.18 CNY from 165 donations in two days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from kit.money import format_minor, parse_minor

CHINA = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class DemoFoundation:
    slug: str
    name: str
    name_en: str
    city: str
    region: str
    description: str
    public_fundraising_licence: bool = False


FOUNDATIONS = (
    DemoFoundation(
        "shekou",
        "蛇口社区基金会",
        "Shekou Community Foundation",
        "Shenzhen",
        "Nanshan",
        "A community foundation serving Shekou, Nanshan district, Shenzhen.",
    ),
    DemoFoundation(
        "wuhou",
        "武侯社区基金会",
        "Wuhou Community Foundation",
        "Chengdu",
        "Wuhou",
        "Shekou's pairing partner (结对合作) in Chengdu.",
    ),
    DemoFoundation(
        "szswf",
        "深圳市社会公益基金会",
        "Shenzhen Social Welfare Foundation",
        "Shenzhen",
        "",
        "Holds a public-fundraising licence (公募资格); hosts online fundraising for "
        "community foundations and runs the Stream Plan (溪流计划) fund.",
        public_fundraising_licence=True,
    ),
)

PHASE_1_TITLE = "社区防疫互助筹款（第一期） Epidemic mutual-aid fundraising, phase 1"
PHASE_1_PURPOSE = (
    "Masks and alcohol disinfectant sprays for front-line workers: property-management "
    "staff and security guards that official channels did not cover."
)
PHASE_1_GOAL = "20000.00"
PHASE_1_TOTAL = "20670.18"
PHASE_1_COUNT = 165
PHASE_1_START = dt.datetime(2020, 1, 28, 9, 0, tzinfo=CHINA)
# From needs survey to first distribution took two days.
PHASE_1_END = dt.datetime(2020, 1, 30, 9, 0, tzinfo=CHINA)

# Typical amounts of a neighbourhood appeal; the last donation makes the total exact.
_TYPICAL = (
    "100.00",
    "50.00",
    "200.00",
    "66.66",
    "88.88",
    "20.00",
    "128.00",
    "300.00",
    "10.00",
    "168.00",
    "99.00",
    "200.00",
)
_NAMED_DONORS = ("张女士", "Li Wei", "王先生", "陈家", "Anna M.", "蛇口居民")


@dataclass(frozen=True, slots=True)
class DemoDonation:
    amount: str
    donated_at: dt.datetime
    donor_name: str | None
    anonymous: bool


def phase_1_donations() -> list[DemoDonation]:
    """165 donations over two days whose amounts sum to exactly 20,670.18 CNY."""
    amounts = [_TYPICAL[i % len(_TYPICAL)] for i in range(PHASE_1_COUNT - 1)]
    remainder = parse_minor(PHASE_1_TOTAL, "CNY") - sum(parse_minor(a, "CNY") for a in amounts)
    assert remainder > 0, "the typical amounts overshoot the article's total"
    amounts.append(format_minor(remainder, "CNY"))
    step = dt.timedelta(seconds=48 * 3600 // PHASE_1_COUNT)
    donations = []
    for i, amount in enumerate(amounts):
        named = i % 7 == 3
        donations.append(
            DemoDonation(
                amount=amount,
                donated_at=PHASE_1_START + step * i,
                donor_name=_NAMED_DONORS[i % len(_NAMED_DONORS)] if named else None,
                anonymous=not named,
            )
        )
    assert sum(Decimal(d.amount) for d in donations) == Decimal(PHASE_1_TOTAL)
    return donations


@dataclass(frozen=True, slots=True)
class DemoPartner:
    name: str
    kind: str
    description: str
    expertise: str


SHEKOU_PARTNERS = (
    DemoPartner(
        "妈妈幸福学习园",
        "social_organisation",
        "Runs an online community radio with the foundation.",
        "community radio",
    ),
    DemoPartner(
        "朴元生态",
        "social_organisation",
        "Online planting courses and healthy-community building.",
        "ecology, planting",
    ),
    DemoPartner(
        "大自然保护协会 The Nature Conservancy",
        "social_organisation",
        "Co-runs the online planting courses.",
        "conservation",
    ),
    DemoPartner(
        "踏实玩乐",
        "social_organisation",
        "Plans online Shekou culture activities.",
        "local culture",
    ),
)


# --- Supplies and spending ------------------------------------------------------------
# The article gives the quantities; the prices are plausible for February 2020 and chosen
# so that the purchases fit inside what phase 1 raised.

HOST = {
    "name": "深圳市社会公益基金会",
    "filing_number": "53440300MJL1234567-2020-001",  # illustrative 备案编号
    "platform": "腾讯公益 Tencent Charity",
}


@dataclass(frozen=True, slots=True)
class DemoPurchaseLine:
    item: str
    unit: str
    quantity: int
    unit_price: str


PHASE_1_SUPPLIER = "深圳市南山区某医疗器械有限公司 (a Nanshan medical supplier)"
PHASE_1_PURCHASES = (
    DemoPurchaseLine("口罩 mask", "只 piece", 2700, "4.20"),
    DemoPurchaseLine("酒精消毒喷雾 alcohol disinfectant spray", "支 bottle", 720, "12.50"),
)
MASKS, SPRAYS = PHASE_1_PURCHASES

# Phase 2 took the beneficiaries down from the sub-district to 24 communities. The names
# are those of communities around Shekou, for illustration.
COMMUNITIES = (
    "蛇口社区",
    "湾厦社区",
    "渔一社区",
    "渔二社区",
    "东角头社区",
    "水湾社区",
    "四海社区",
    "南水社区",
    "海昌社区",
    "雷岭社区",
    "花果山社区",
    "工业八路社区",
    "大成社区",
    "海湾社区",
    "沿山社区",
    "兰园社区",
    "桃花园社区",
    "赤湾社区",
    "文竹园社区",
    "深圳湾社区",
    "招商社区",
    "海滨社区",
    "荔园社区",
    "鲸山社区",
)


def community_shares(total: int) -> list[int]:
    """``total`` units split across the 24 communities as evenly as whole units allow."""
    base, extra = divmod(total, len(COMMUNITIES))
    return [base + (1 if i < extra else 0) for i in range(len(COMMUNITIES))]


PHASE_1_TRANSPORT = "300.00"  # delivery to the communities, an expense approved by another

PHASE_2_TITLE = "社区防疫互助筹款（第二期） Epidemic mutual-aid fundraising, phase 2"
PHASE_2_PURPOSE = (
    "Supplies for property-management staff and security guards of residential compounds, "
    "who carry much of the compounds' epidemic work."
)
PHASE_2_GOAL = "15000.00"
PHASE_2_START = dt.datetime(2020, 2, 5, 9, 0, tzinfo=CHINA)
PHASE_2_END = dt.datetime(2020, 3, 31, 18, 0, tzinfo=CHINA)
PHASE_2_DONATIONS = ("200.00", "88.88", "500.00", "66.66", "1000.00", "128.00")

STREAM_PLAN = {
    "grantor": "深圳市社会公益基金会",
    "programme": "溪流计划专项资金 Stream Plan fund",
    "purpose": "Restricted to epidemic prevention in Shekou's communities",
    "amount": "10000.00",
}

PHASE_2_PURCHASES = (DemoPurchaseLine("口罩 mask", "只 piece", 1000, "4.00"),)
PHASE_2_RECIPIENTS = (
    ("物业人员 property-management staff", "group", 600),
    ("保安人员 security guards", "group", 400),
)

RADIO_GRANT = {
    "partner": "妈妈幸福学习园",
    "purpose": "Online community radio: epidemic-prevention tips (防疫小妙招) for residents",
    "amount": "3000.00",
}
