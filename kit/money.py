"""Money: integer minor units and an ISO 4217 currency; a decimal string in the API.

No float ever touches money. Amounts arrive as JSON strings such as ``"20670.18"``; a JSON
number, an exponent, a sign or more decimals than the currency has is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

# ISO 4217 minor-unit exponents of the currencies we accept. Extend here; nowhere else.
CURRENCY_EXPONENTS: dict[str, int] = {
    "CNY": 2,
    "HKD": 2,
    "MOP": 2,
    "TWD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "SGD": 2,
    "JPY": 0,
    "KRW": 0,
}

# Large enough for any foundation, small enough to stay exact in a JavaScript number and
# far inside a 64-bit integer column: 10**15 minor units.
MAX_MINOR_UNITS = 10**15

# Matched with fullmatch: "$" alone would let a trailing newline through ("12\n").
_AMOUNT = re.compile(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]+)?")

# The same rules as JSON Schema patterns, for the API document: what a client may send
# (no sign: amounts sent are never negative) and what an answer holds (a balance may be).
AMOUNT_IN_PATTERN = r"^(0|[1-9][0-9]{0,17})(\.[0-9]+)?$"
AMOUNT_PATTERN = f"^{_AMOUNT.pattern}$"
CURRENCY_PATTERN = "^(" + "|".join(sorted(CURRENCY_EXPONENTS)) + ")$"

# A currency in an answer or a request body: one of CURRENCY_EXPONENTS.
Currency = Annotated[
    str,
    Field(description="ISO 4217 code", json_schema_extra={"pattern": CURRENCY_PATTERN}),
]


class MoneyError(ValueError):
    """An amount or currency that cannot be money."""


class CurrencyMismatchError(MoneyError):
    """Two amounts in different currencies were combined."""


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        supported = ", ".join(sorted(CURRENCY_EXPONENTS))
        raise MoneyError(f"unknown currency {currency!r}; supported: {supported}") from None


def _check_format(amount: str) -> None:
    if not _AMOUNT.fullmatch(amount):
        raise MoneyError(
            'must be a decimal string such as "12.50": digits, an optional point, no exponent'
        )


def parse_minor(amount: str, currency: str) -> int:
    """``"20670.18"`` in CNY -> ``2067018``. Raises :class:`MoneyError` with a reason."""
    _check_format(amount)
    places = exponent(currency)
    _, _, fraction = amount.partition(".")
    if len(fraction) > places:
        raise MoneyError(f"{currency} has {places} decimal places; {amount!r} has {len(fraction)}")
    minor = int(Decimal(amount).scaleb(places))
    if abs(minor) >= MAX_MINOR_UNITS:
        raise MoneyError("is too large")
    return minor


def format_minor(minor: int, currency: str) -> str:
    """``2067018`` in CNY -> ``"20670.18"``."""
    places = exponent(currency)
    if places == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**places)
    return f"{sign}{whole}.{fraction:0{places}d}"


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: ``minor`` units of ``currency``."""

    minor: int
    currency: str

    @classmethod
    def parse(cls, amount: str, currency: str) -> Money:
        return cls(parse_minor(amount, currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        exponent(currency)
        return cls(0, currency)

    @property
    def amount(self) -> str:
        return format_minor(self.minor, self.currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency} with {other.currency}")

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class MoneyIn(BaseModel):
    """An amount a client sends: ``{"amount": "12.50", "currency": "CNY"}``.

    Positive by default; subclasses relax that with ``allow_zero`` or ``allow_negative``.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [{"amount": "20670.18", "currency": "CNY"}]},
    )
    allow_zero: ClassVar[bool] = False
    allow_negative: ClassVar[bool] = False

    # The currency comes first so that the amount's validator can read its decimal places.
    currency: str = Field(
        description="ISO 4217 code",
        min_length=3,
        max_length=3,
        strict=True,
        json_schema_extra={"pattern": CURRENCY_PATTERN},
    )
    amount: str = Field(
        description="Decimal string in major units, at most the currency's decimal places",
        max_length=32,
        strict=True,
        json_schema_extra={"pattern": AMOUNT_IN_PATTERN},
    )

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        exponent(value)
        return value

    @field_validator("amount")
    @classmethod
    def _valid_amount(cls, value: str, info: ValidationInfo) -> str:
        currency = info.data.get("currency")
        if currency is None:  # the currency is wrong; say only whether the amount is a number
            _check_format(value)
            return value
        minor = parse_minor(value, currency)
        if minor == 0 and not cls.allow_zero:
            raise MoneyError("must be greater than zero")
        if minor < 0 and not cls.allow_negative:
            raise MoneyError("must not be negative")
        return value

    def to_money(self) -> Money:
        return Money.parse(self.amount, self.currency)


class NonNegativeMoneyIn(MoneyIn):
    allow_zero: ClassVar[bool] = True


class MoneyOut(BaseModel):
    """An amount the API answers with; always with the currency's full decimal places."""

    model_config = ConfigDict(
        frozen=True, json_schema_extra={"examples": [{"amount": "20670.18", "currency": "CNY"}]}
    )

    amount: str = Field(
        description="Decimal string in major units with the currency's decimal places; "
        "negative only where a figure can fall below zero, such as a balance",
        json_schema_extra={"pattern": AMOUNT_PATTERN},
    )
    currency: Currency

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(amount=money.amount, currency=money.currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> MoneyOut:
        return cls(amount=format_minor(minor, currency), currency=currency)
