"""Helpers for the tests of refunds, receipts and CSV imports."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import httpx
from fastapi import FastAPI

from kit.db import transaction
from kit.events.copies import FoundationCopyRepository
from services.donations.foundations.models import FoundationCopy

# Residents of Shekou as a host platform's export names them; some chose to be named.
DONORS = [
    "李伟",
    "王芳",
    "张敏",
    "刘洋",
    "陈静",
    "杨磊",
    "赵丽",
    "黄强",
    "周杰",
    "吴霞",
    "徐明",
    "孙悦",
    "马超",
    "朱琳",
    "胡斌",
    "郭婷",
    "何勇",
    "高峰",
    "林晓",
    "罗丹",
    "郑凯",
    "梁爽",
    "谢娜",
    "宋涛",
    "唐雪",
    "许诺",
    "韩梅",
    "冯刚",
    "邓丽",
    "曹阳",
]
HEADER = (
    "transaction_id,amount,currency,donated_at,donor_name,anonymous,donor_contact,donor_ref,channel"
)


def donor_rows(count: int = 30, *, prefix: str = "TX2020012") -> list[str]:
    """``count`` realistic rows of a platform export (no header), amounts from 0.01 up."""
    amounts = ["0.01", "6.66", "8.88", "10", "18.88", "20.00", "50", "66.66", "88.88", "100.00"]
    channels = ["", "wechat_pay", "支付宝", "host_platform", "微信支付"]
    rows = []
    for i in range(count):
        name = DONORS[i % len(DONORS)]
        anonymous = ["否", "是", "true", "no", "1", "0", ""][i % 7]
        # Half the times as the platform shows them (China time), half in ISO 8601.
        when = (
            f"2020-01-{28 + i % 3} {8 + i % 12:02d}:{i % 60:02d}:00"
            if i % 2
            else f"2020-01-{28 + i % 3}T{8 + i % 12:02d}:{i % 60:02d}:00+08:00"
        )
        rows.append(
            f"{prefix}{i:05d},{amounts[i % len(amounts)]},CNY,{when},{name},{anonymous},"
            f"1380000{i:04d},user-{i:04d},{channels[i % len(channels)]}"
        )
    return rows


def csv_text(rows: Sequence[str], *, header: str = HEADER) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


def total(rows: Sequence[str]) -> str:
    """The sum of the rows' amounts (second column), as the API writes CNY."""
    cents = 0
    for row in rows:
        whole, _, fraction = row.split(",")[1].partition(".")
        cents += int(whole) * 100 + int((fraction + "00")[:2])
    return f"{cents // 100}.{cents % 100:02d}"


async def import_csv(
    client: httpx.AsyncClient,
    campaign_id: str,
    body: bytes | str,
    *,
    valid_only: bool | None = None,
    key: str | None = None,
    content_type: str = "text/csv",
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if key:
        headers["Idempotency-Key"] = key
    params = {} if valid_only is None else {"valid_only": str(valid_only).lower()}
    return await client.post(
        f"/api/v1/campaigns/{campaign_id}/donations/imports",
        content=body.encode() if isinstance(body, str) else body,
        headers=headers,
        params=params,
    )


async def refund(
    client: httpx.AsyncClient,
    campaign_id: str,
    donation_id: str,
    amount: str,
    *,
    currency: str = "CNY",
    reason: str = "the donor asked for it back",
    key: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/campaigns/{campaign_id}/donations/{donation_id}/refunds",
        json={"amount": {"amount": amount, "currency": currency}, "reason": reason},
        headers={"Idempotency-Key": key} if key else {},
    )


async def announce_foundation(app: FastAPI, foundation_id: uuid.UUID, name: str) -> None:
    """Keep the directory's copy of a foundation, as the network.foundation.created event's
    consumer does (the ``app`` fixture runs no consumers)."""
    async with transaction(app.state.database, write=True) as session:
        await FoundationCopyRepository(session, FoundationCopy).keep_newest(
            foundation_id, slug="shekou", name=name, updated_at=dt.datetime.now(dt.UTC)
        )
