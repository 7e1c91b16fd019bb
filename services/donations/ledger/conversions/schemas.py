from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from kit.money import CURRENCY_PATTERN, MoneyIn, MoneyOut, exponent
from kit.schemas import InputModel, Name

RATE_MAX_PLACES = 12
RATE_MAX_DIGITS = 12  # before the point
# Matched with fullmatch (a trailing newline must not pass).
_RATE = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")
# What check_rate accepts but for the zero rate, as the API document's pattern.
RATE_PATTERN = rf"^(0|[1-9][0-9]{{0,{RATE_MAX_DIGITS - 1}}})(\.[0-9]{{1,{RATE_MAX_PLACES}}})?$"


def check_rate(value: str) -> str:
    """A rate as a client must write it: a positive decimal string, no sign or exponent,
    at most 12 digits before the point and 12 after it."""
    if not _RATE.fullmatch(value):
        raise ValueError(
            'must be a decimal string such as "0.9123": digits and an optional point, '
            "no sign, no exponent"
        )
    whole, _, fraction = value.partition(".")
    if len(fraction) > RATE_MAX_PLACES:
        raise ValueError(f"has {len(fraction)} decimal places; at most {RATE_MAX_PLACES}")
    if len(whole) > RATE_MAX_DIGITS:
        raise ValueError(f"has more than {RATE_MAX_DIGITS} digits before the point")
    if Decimal(value) == 0:
        raise ValueError("must be greater than zero")
    return value


class ConversionCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "from": {"amount": "10000.00", "currency": "HKD"},
                    "to_currency": "CNY",
                    "rate": "0.9123",
                    "rate_source": "中国人民银行 central parity",
                    "rate_date": "2020-02-03",
                }
            ]
        },
    )

    fund_id: uuid.UUID | None = Field(
        default=None,
        description="the campaign whose money is converted; omitted (or the foundation's "
        "id) for the unrestricted fund",
    )
    from_: MoneyIn = Field(alias="from", description="the money to convert")
    to_currency: str = Field(
        min_length=3,
        max_length=3,
        strict=True,
        description="ISO 4217 code of the result",
        json_schema_extra={"pattern": CURRENCY_PATTERN},
    )
    rate: str = Field(
        max_length=40,
        strict=True,
        description="units of `to_currency` per unit of the `from` currency, as a decimal "
        "string (never a JSON number): positive, at most 12 decimal places. The result is "
        "rounded half to even to the target currency's minor unit",
        json_schema_extra={"pattern": RATE_PATTERN, "examples": ["0.9123"]},
    )
    rate_source: Name = Field(description="who published the rate, e.g. a central bank or a bank")
    rate_date: dt.date = Field(description="the date the rate is for, e.g. 2020-02-03")

    @field_validator("to_currency")
    @classmethod
    def _known_and_other(cls, value: str, info: ValidationInfo) -> str:
        exponent(value)
        source = info.data.get("from_")
        if isinstance(source, MoneyIn) and source.currency == value:
            raise ValueError("must differ from the currency converted from")
        return value

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        return check_rate(value)

    @field_validator("rate_date", mode="before")
    @classmethod
    def _date_as_text(cls, value: object) -> object:
        # Lax parsing would read a number as a Unix time; a date is written YYYY-MM-DD.
        if not isinstance(value, str):
            raise ValueError("must be a date written YYYY-MM-DD")
        return value


class ConversionRead(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    id: uuid.UUID
    fund_id: uuid.UUID = Field(description="the campaign, or the foundation's unrestricted fund")
    from_: MoneyOut = Field(alias="from")
    to: MoneyOut
    rate: str = Field(
        description="units of `to` per unit of `from`", json_schema_extra={"pattern": RATE_PATTERN}
    )
    rate_source: str
    rate_date: dt.date
    converted_at: dt.datetime
    entry_id: uuid.UUID = Field(description="the journal entry that records it")
