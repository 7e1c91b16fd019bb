from __future__ import annotations

from kit.errors import NotFound, Unprocessable


class ConversionNotFound(NotFound):
    slug, title = "conversion-not-found", "Conversion not found"


class UnknownFund(Unprocessable):
    slug, title = "unknown-fund", "The foundation has no such fund"


class ConversionOutOfRange(Unprocessable):
    slug, title = (
        "conversion-out-of-range",
        "The converted amount is less than one minor unit or too large",
    )
