"""What the supplies tests share: the goods of the Shekou story, the quantities every
route refuses, and campaigns that hold money or goods to start from."""

from __future__ import annotations

import httpx

from tests.services.donations.factories import funded_campaign
from tests.services.donations.factories_supplies import buy, buy_line

MASK = ("medical mask", "piece")
SPRAY = ("alcohol disinfectant spray", "bottle")
GLOVES = ("disposable gloves", "pair")

COMMUNITIES = [
    "蛇口社区",
    "湾厦社区",
    "东角头社区",
    "渔一社区",
    "渔二社区",
    "大成社区",
    "四海社区",
    "南水社区",
    "海昌社区",
    "花果山社区",
    "工业八路社区",
    "桂园社区",
    "雷岭社区",
    "南海玫瑰园社区",
    "海湾社区",
    "金世纪社区",
    "招商社区",
    "水湾社区",
    "爱榕社区",
    "文竹园社区",
    "鲸山社区",
    "兰园社区",
    "半岛社区",
    "沿山社区",
]

BAD_QUANTITIES = [0, -1, 1.5, 1.0, "3", True, None, 10**12 + 1]
EVIDENCE = {"ref": "https://files.example.org/invoices/2020-0127.pdf", "sha256": "ab" * 32}


async def funded(client: httpx.AsyncClient, amount: str = "1000.00") -> str:
    """The id of a CNY campaign holding ``amount``."""
    return str((await funded_campaign(client, amount))["id"])


async def stocked_campaign(
    client: httpx.AsyncClient, quantity: int = 100, price: str = "1.00"
) -> str:
    campaign_id = await funded(client)
    response = await buy(client, campaign_id, [buy_line(*MASK, quantity, price)])
    assert response.status_code == 201, response.text
    return campaign_id
