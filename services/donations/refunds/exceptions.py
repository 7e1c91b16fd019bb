from __future__ import annotations

from kit.errors import Unprocessable


class RefundExceedsDonation(Unprocessable):
    slug, title = "refund-exceeds-donation", "A refund cannot exceed what is left of the donation"


class RefundCurrencyMismatch(Unprocessable):
    slug, title = "refund-currency-mismatch", "A refund is paid in the donation's currency"
