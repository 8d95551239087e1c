"""Logs show enough to follow a conversation and never a whole phone number or a token."""

from __future__ import annotations

import pytest

from bot.messages import Address, ChannelName
from bot.redact import describe, mask_phone, without_secrets


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+15551234567", "+1******4567"),
        ("+34612345678", "+34*****5678"),
        ("+966501234567", "+966*****4567"),
        ("+442071838750", "+44******8750"),
        ("12345", "+*2345"),
        ("123", "+***"),
        ("not a number", "+"),
    ],
)
def test_a_phone_number_keeps_its_country_code_and_last_four_digits(
    number: str, masked: str
) -> None:
    assert mask_phone(number) == masked


def test_only_sms_addresses_are_masked() -> None:
    assert describe(Address(ChannelName.SMS, "+15551234567")) == "sms:+1******4567"
    assert describe(Address(ChannelName.TELEGRAM, "5550101")) == "telegram:5550101"


def test_secrets_are_blanked_out_of_error_messages() -> None:
    token = "123456:AAE-secret"
    text = f"InvalidToken('The token `{token}` was rejected by the server.')"
    assert token not in without_secrets(text, token, None)
    assert without_secrets("nothing to hide", None) == "nothing to hide"
