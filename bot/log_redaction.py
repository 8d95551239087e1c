"""The last line of defence for logs: secrets and full phone numbers never reach them.

Our own log lines already mask numbers (`bot.redact.describe`), but a log line is also
written by code we do not control: a database error quotes its SQL parameters (phone
numbers included), a client library's error or debug line may quote a URL holding the
bot token, a traceback prints whatever the exception says. So every formatted record,
traceback included, passes through `redact` before it is written anywhere.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from bot.redact import mask_phone

# E.164 as providers and our database spell it: "+" and 8 to 15 digits.
_PHONE = re.compile(r"\+\d{8,15}\b")
# Libraries that log every request (with its URL, and so the bot token) at INFO.
NOISY_LOGGERS = ("httpx", "httpcore", "aiohttp.access", "telegram", "twilio")


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return _PHONE.sub(lambda match: mask_phone(match.group()), text)


class RedactingFormatter(logging.Formatter):
    """A formatter whose every line, traceback included, is passed through `redact`."""

    def __init__(self, fmt: str, secrets: Iterable[str | None]) -> None:
        super().__init__(fmt)
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


def configure(level: int, secrets: Iterable[str | None]) -> None:
    """Log to stderr at `level` through the redacting formatter; quiet the chatty libraries.

    Like `logging.basicConfig`, it leaves a root logger that already has handlers alone
    (a test runner's), but the libraries are quieted either way.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    logging.basicConfig(level=level, handlers=[handler])
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
