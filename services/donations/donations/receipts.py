"""The printable receipt: one self-contained HTML page (inline CSS, no scripts, no outside
resources), bilingual Chinese and English, laid out for A5/A4 paper.

Every value from the database or a client passes through :func:`html.escape`: donor names,
titles and transaction ids are text a donor or a platform chose.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from services.donations.donations.schemas import ReceiptRead

# The foundations' local time: receipts are dated and numbered by it (a gift at 00:30 on
# New Year's Day in Shenzhen belongs to the new year). The CNY, HKD, MOP and TWD regions
# all keep UTC+08:00 without daylight saving, so a fixed offset is exact and needs no tz
# database.
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "UTC+08:00")

ANONYMOUS_DONOR = "Anonymous donor"

CHANNEL_LABELS = {
    "wechat_pay": "微信支付 WeChat Pay",
    "alipay": "支付宝 Alipay",
    "bank_transfer": "银行转账 Bank transfer",
    "cash": "现金 Cash",
    "host_platform": "募捐平台 Host platform",
}

_STYLE = """
@page { size: A5 landscape; margin: 12mm; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f4f1; color: #1d1d1b;
  font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
    "Source Han Sans SC", "Helvetica Neue", Arial, sans-serif; font-size: 14px; }
.receipt { max-width: 720px; margin: 24px auto; background: #fff; padding: 32px 40px;
  border: 1px solid #d8d8d2; }
header { display: flex; justify-content: space-between; align-items: flex-start;
  border-bottom: 2px solid #1d1d1b; padding-bottom: 12px; margin-bottom: 20px; gap: 16px; }
h1 { font-size: 22px; margin: 0 0 4px; letter-spacing: 0.05em; }
.org { color: #55554f; margin: 0; }
.number { text-align: right; white-space: nowrap; }
.number strong { display: block; font-size: 18px; font-variant-numeric: tabular-nums; }
.amount { font-size: 28px; font-weight: 700; margin: 4px 0 16px;
  font-variant-numeric: tabular-nums; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: 6px 0;
  border-bottom: 1px solid #ecece7; }
th { width: 38%; font-weight: 400; color: #55554f; padding-right: 12px; }
.mono { font-family: "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px;
  word-break: break-all; }
footer { margin-top: 20px; font-size: 12px; color: #55554f; }
@media print {
  body { background: #fff; }
  .receipt { margin: 0; border: none; padding: 0; max-width: none; }
}
"""


def receipt_year(donated_at: dt.datetime) -> int:
    """The year a donation's receipt number counts in: its year in China time."""
    return donated_at.astimezone(CHINA_TIME).year


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M:%S (UTC+08:00)")


def _row(label: str, value: str, *, mono: bool = False) -> str:
    """A table row; ``label`` is our own text, ``value`` is escaped here."""
    cls = ' class="mono"' if mono else ""
    return f"<tr><th>{label}</th><td{cls}>{escape(value)}</td></tr>"


def render_html(receipt: ReceiptRead) -> str:
    """The receipt as a complete HTML document (UTF-8)."""
    # A receipt fetched in the moment before the log took the donation in has no number yet.
    number = receipt.receipt_number or "编号中 being numbered"
    donor = (
        "匿名捐赠人 Anonymous donor"
        if receipt.donor_name == ANONYMOUS_DONOR
        else receipt.donor_name
    )
    rows = [
        _row("捐赠人 Donor", donor),
        _row("筹款项目 Campaign", receipt.campaign_title),
    ]
    if receipt.host is not None:
        if receipt.host.name:
            rows.append(_row("公开募捐方 Fundraising host", receipt.host.name))
        if receipt.host.filing_number:
            rows.append(_row("备案编号 Filing number", receipt.host.filing_number))
        if receipt.host.platform:
            rows.append(_row("募捐平台 Platform", receipt.host.platform))
    rows += [
        _row("捐赠时间 Donated at", _when(receipt.donated_at)),
        _row("支付渠道 Channel", CHANNEL_LABELS.get(receipt.channel, receipt.channel)),
    ]
    if receipt.external_id:
        rows.append(_row("交易号 Transaction id", receipt.external_id, mono=True))
    amount = f"{receipt.amount.amount} {receipt.amount.currency}"
    if receipt.net_amount != receipt.amount:  # something was refunded
        rows += [
            _row("已退款 Refunded", f"{receipt.refunded.amount} {receipt.refunded.currency}"),
            _row(
                "净捐赠 Net donation", f"{receipt.net_amount.amount} {receipt.net_amount.currency}"
            ),
        ]
    rows += [
        _row("账目分录 Journal entry", str(receipt.entry_id), mono=True),
        _row("分录哈希 Entry hash", receipt.entry_hash, mono=True),
        _row(
            "透明日志序号 Log entry",
            str(receipt.log.seq) if receipt.log.seq is not None else "待写入 pending",
            mono=True,
        ),
    ]
    org = receipt.foundation_name or str(receipt.foundation_id)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>捐赠收据 Donation receipt {escape(number)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main class="receipt">
<header>
<div>
<h1>捐赠收据 <span lang="en">Donation receipt</span></h1>
<p class="org">{escape(org)}</p>
</div>
<div class="number">收据编号 Receipt no.<strong>{escape(number)}</strong></div>
</header>
<div>捐赠金额 Amount</div>
<div class="amount">{escape(amount)}</div>
<table>
{chr(10).join(rows)}
</table>
<footer>
<p>感谢您的捐赠。本收据由基金会账目系统生成；任何人都可以用基金会的透明日志
（{escape(receipt.log.head)}）核验这笔捐赠已记入公开账目、且未被改动
（命令：fnet verify --receipt 收据文件）。</p>
<p lang="en">Thank you for your gift. Anyone can check that it is in the foundation's
public account, unchanged, with its transparency log ({escape(receipt.log.head)}):
<code>fnet verify --receipt FILE</code> with this receipt as JSON.
Issued {escape(_when(receipt.issued_at))}.</p>
</footer>
</main>
</body>
</html>
"""
