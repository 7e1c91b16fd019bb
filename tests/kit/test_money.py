from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kit.money import (
    CURRENCY_EXPONENTS,
    CurrencyMismatchError,
    Money,
    MoneyError,
    MoneyIn,
    NonNegativeMoneyIn,
    format_minor,
    parse_minor,
)


class TestParse:
    @pytest.mark.parametrize(
        ("amount", "currency", "minor"),
        [
            ("20670.18", "CNY", 2067018),
            ("0.01", "HKD", 1),
            ("12", "MOP", 1200),
            ("12.5", "USD", 1250),
            ("500", "JPY", 500),
        ],
    )
    def test_valid(self, amount: str, currency: str, minor: int) -> None:
        assert parse_minor(amount, currency) == minor

    @pytest.mark.parametrize(
        "amount",
        ["1.001", "abc", "1e20", "", ".5", "5.", "+1", "01", " 1", "1,00", "NaN", "inf", "12\n"],
    )
    def test_invalid(self, amount: str) -> None:
        with pytest.raises(MoneyError):
            parse_minor(amount, "CNY")

    def test_yen_has_no_decimals(self) -> None:
        with pytest.raises(MoneyError, match="0 decimal places"):
            parse_minor("1.5", "JPY")

    def test_unknown_currency(self) -> None:
        with pytest.raises(MoneyError, match="unknown currency"):
            parse_minor("1", "XYZ")

    def test_too_large(self) -> None:
        with pytest.raises(MoneyError, match="too large"):
            parse_minor("10000000000000", "CNY")


@given(
    minor=st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
    currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)),
)
def test_format_and_parse_round_trip(minor: int, currency: str) -> None:
    text = format_minor(minor, currency)
    assert parse_minor(text, currency) == minor
    assert Decimal(text) == Decimal(minor).scaleb(-CURRENCY_EXPONENTS[currency])


@given(st.lists(st.integers(min_value=1, max_value=10**9), max_size=50))
def test_sums_are_exact(minors: list[int]) -> None:
    total = Money.zero("CNY")
    for minor in minors:
        total += Money(minor, "CNY")
    assert total.minor == sum(minors)
    assert Decimal(total.amount) == sum(Decimal(format_minor(m, "CNY")) for m in minors)


def test_never_adds_across_currencies() -> None:
    with pytest.raises(CurrencyMismatchError):
        _ = Money(1, "CNY") + Money(1, "HKD")


class TestMoneyIn:
    def test_valid(self) -> None:
        assert MoneyIn(amount="20670.18", currency="CNY").to_money() == Money(2067018, "CNY")

    @pytest.mark.parametrize("amount", [12.5, 12, None, ["1"]])
    def test_refuses_non_strings(self, amount: object) -> None:
        with pytest.raises(ValidationError):
            MoneyIn.model_validate({"amount": amount, "currency": "CNY"})

    @pytest.mark.parametrize("amount", ["0", "0.00", "-1"])
    def test_positive_by_default(self, amount: str) -> None:
        with pytest.raises(ValidationError):
            MoneyIn(amount=amount, currency="CNY")

    def test_non_negative_allows_zero_only(self) -> None:
        assert NonNegativeMoneyIn(amount="0", currency="CNY").to_money().minor == 0
        with pytest.raises(ValidationError):
            NonNegativeMoneyIn(amount="-0.01", currency="CNY")

    def test_unknown_fields_refused(self) -> None:
        with pytest.raises(ValidationError):
            MoneyIn.model_validate({"amount": "1", "currency": "CNY", "rate": "2"})
