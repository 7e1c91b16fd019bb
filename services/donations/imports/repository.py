from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from kit.pagination import PageParams
from kit.repository import Repository
from services.donations.imports.models import DonationImport


class ImportRepository(Repository[DonationImport]):
    model = DonationImport

    async def of_campaign(
        self, campaign_id: uuid.UUID, params: PageParams
    ) -> Sequence[DonationImport]:
        return await self.page(
            select(DonationImport).where(DonationImport.campaign_id == campaign_id), params
        )
