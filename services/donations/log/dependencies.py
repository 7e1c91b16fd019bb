"""The key that signs the log's heads, for routes that integrate entries themselves (a
disclosure freezes the head its report stands against)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.donations.log.signing import HeadSigner


async def log_signer(request: Request) -> HeadSigner:
    signer: HeadSigner = request.app.state.log_signer
    return signer


LogSignerDep = Annotated[HeadSigner, Depends(log_signer)]
