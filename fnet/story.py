"""The demo data: the Shekou Community Foundation's 2020 epidemic story (see shared/seed/).

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
