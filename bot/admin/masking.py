"""Addresses as the console shows them: enough to tell people apart, never the whole number.

Organizers find a parent by the last digits they read out on the phone; the console
never needs, and so never prints, the full number or Telegram id. A screenshot of the
subscribers page then leaks nothing a deletion request could not reach.
"""

from __future__ import annotations

import phonenumbers

from bot.messages import ChannelName

VISIBLE_TAIL = 4
HIDDEN = "•••"
# Below this length the last four digits would be most of the address: hide it all.
SHORTEST_WITH_TAIL = 7


def mask_address(channel: str, address: str) -> str:
    """`+15551234567` → `+1 ••• ••• 4567`; a Telegram id `123456789` → `••• ••• 6789`."""
    if channel == ChannelName.SMS.value:
        return _mask_phone(address)
    return _with_tail("", "".join(char for char in address if char.isalnum()))


def _mask_phone(number: str) -> str:
    digits = "".join(char for char in number if char.isdigit())
    try:
        country = str(phonenumbers.parse(number, None).country_code)
    except phonenumbers.NumberParseException:
        country = ""
    if country and digits.startswith(country):
        return _with_tail(f"+{country} ", digits[len(country) :])
    return _with_tail("", digits)


def _with_tail(prefix: str, rest: str) -> str:
    """The prefix, a fixed-width mask (so the length is not told), and the last digits."""
    if len(rest) < SHORTEST_WITH_TAIL:
        return f"{prefix}{HIDDEN} {HIDDEN}"
    return f"{prefix}{HIDDEN} {HIDDEN} {rest[-VISIBLE_TAIL:]}"
