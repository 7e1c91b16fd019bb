"""What the tests of the public report and the public donation list share: where they
are, how to read their CSV, and a donor contact that must never show."""

from __future__ import annotations

import csv
import io

import httpx

CONTACT = "13800138000"


def report_path(campaign_id: str) -> str:
    return f"/api/v1/campaigns/{campaign_id}/report"


def parse_csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
