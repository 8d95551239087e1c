"""Addresses as logs may show them: a phone number keeps its country code and last four digits.

Logs are read by more people, and kept longer, than the database; a full number in them
would be a leak that no deletion request could reach.
"""

from __future__ import annotations

import phonenumbers

from bot.messages import Address, ChannelName

_VISIBLE_TAIL = 4


def mask_phone(number: str) -> str:
    """`+15551234567` → `+1******4567`; anything unparseable keeps only its last four digits."""
    digits = "".join(char for char in number if char.isdigit())
    try:
        country = str(phonenumbers.parse(number, None).country_code)
    except phonenumbers.NumberParseException:
        country = ""
    national = digits[len(country) :] if country and digits.startswith(country) else digits
    if len(national) > _VISIBLE_TAIL:
        masked = "*" * (len(national) - _VISIBLE_TAIL) + national[-_VISIBLE_TAIL:]
    else:
        masked = "*" * len(national)  # a short code: nothing is safe to show
    return f"+{country}{masked}"


def describe(address: Address) -> str:
    if address.channel is ChannelName.SMS:
        return f"sms:{mask_phone(address.id)}"
    return f"{address.channel.value}:{address.id}"


def without_secrets(text: str, *secrets: str | None) -> str:
    """`text` with each secret replaced: PTB puts the bot token in some error messages."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
