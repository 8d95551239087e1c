"""One frozen settings object, read once from the environment (and `.env`).

Every knob is read here and validated at start so that a typo in a deployment fails
the process immediately with the variable's name, instead of surfacing as a wrong
answer to a parent hours later.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.channels.sms_text import AccentMode
from bot.errors import ConfigError

DEFAULT_DATABASE_PATH = Path("data") / "bot.db"
SUPPORTED_LOCALES = ("en", "es", "ar")


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{DEFAULT_DATABASE_PATH}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    bot_timezone: str = "America/Los_Angeles"
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str = "https://api.twilio.com"
    # Segments per second the Twilio sender may send: 1 for a US long code, more for a
    # toll-free number or short code; the dispatcher's token bucket counts segments.
    twilio_messages_per_second: float = 1.0
    telegram_messages_per_second: float = 30.0
    # Telegram asks for at most one message a second in a chat (after a short burst).
    telegram_chat_messages_per_second: float = 1.0
    sms_accents: AccentMode = AccentMode.AUTO
    # US dollars per SMS segment, for the cost organizers see before a broadcast. Twilio's
    # list price for a US number plus typical carrier fees; set your own.
    sms_price_per_segment: float = 0.0083
    # How long the sender lease of a channel lasts unrenewed: after a crash another worker
    # takes over sending within this many seconds.
    sender_lease_seconds: float = 15.0
    # Messages a minute one SMS number or Telegram chat may send before it is asked to
    # slow down and then ignored until it calms (cost protection); 0 turns it off.
    flood_limit_per_minute: int = 10
    public_base_url: str | None = None
    organizers: frozenset[str] = frozenset()
    admin_password: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @property
    def secrets(self) -> tuple[str, ...]:
        """What no log line may show (`bot.log_redaction` replaces each with ***)."""
        values = (
            self.telegram_bot_token,
            self.telegram_webhook_secret,
            self.twilio_auth_token,
            self.admin_password,
            urlsplit(self.database_url).password,
        )
        return tuple(value for value in values if value)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Merge `.env` under the real environment (the environment wins, as in 12-factor)."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls._parse(values)

    @classmethod
    def _parse(cls, env: Mapping[str, str]) -> Settings:
        def text(name: str) -> str | None:
            raw = env.get(name, "").strip()
            return raw or None

        timezone = text("BOT_TIMEZONE") or cls.bot_timezone
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError("BOT_TIMEZONE", f"unknown time zone {timezone!r}") from exc

        port_text = text("PORT") or str(cls.port)
        if not _whole_number(port_text) or not 0 < int(port_text) < 65536:
            raise ConfigError("PORT", f"must be a port number, got {port_text!r}")

        database_url = text("DATABASE_URL") or default_database_url()
        if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ConfigError(
                "DATABASE_URL",
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg://",
            )

        urls = {
            name: text(name)
            for name in ("TELEGRAM_API_BASE_URL", "TWILIO_API_BASE_URL", "PUBLIC_BASE_URL")
        }
        for name, url in urls.items():
            if url is not None and urlsplit(url).scheme not in ("http", "https"):
                raise ConfigError(name, f"must be an http(s) URL, got {url!r}")

        rates = {
            name: _positive(name, text(name), default)
            for name, default in (
                ("TWILIO_MESSAGES_PER_SECOND", cls.twilio_messages_per_second),
                ("TELEGRAM_MESSAGES_PER_SECOND", cls.telegram_messages_per_second),
                ("TELEGRAM_CHAT_MESSAGES_PER_SECOND", cls.telegram_chat_messages_per_second),
                ("SMS_PRICE_PER_SEGMENT", cls.sms_price_per_segment),
                ("SENDER_LEASE_SECONDS", cls.sender_lease_seconds),
            )
        }
        accents = (text("SMS_ACCENTS") or cls.sms_accents.value).lower()
        if accents not in set(AccentMode):
            raise ConfigError("SMS_ACCENTS", f"must be keep, auto or strip, got {accents!r}")

        flood_text = text("FLOOD_LIMIT_PER_MINUTE") or str(cls.flood_limit_per_minute)
        if not _whole_number(flood_text):
            raise ConfigError(
                "FLOOD_LIMIT_PER_MINUTE", f"must be a whole number (0 = off), got {flood_text!r}"
            )

        organizers = frozenset(
            item.strip() for item in (text("ORGANIZERS") or "").split(",") if item.strip()
        )
        return cls(
            database_url=database_url,
            bot_timezone=timezone,
            telegram_bot_token=text("TELEGRAM_BOT_TOKEN"),
            telegram_webhook_secret=text("TELEGRAM_WEBHOOK_SECRET"),
            telegram_api_base_url=(urls["TELEGRAM_API_BASE_URL"] or cls.telegram_api_base_url),
            twilio_account_sid=text("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=text("TWILIO_AUTH_TOKEN"),
            twilio_from_number=text("TWILIO_FROM_NUMBER"),
            twilio_messaging_service_sid=text("TWILIO_MESSAGING_SERVICE_SID"),
            twilio_api_base_url=urls["TWILIO_API_BASE_URL"] or cls.twilio_api_base_url,
            twilio_messages_per_second=rates["TWILIO_MESSAGES_PER_SECOND"],
            telegram_messages_per_second=rates["TELEGRAM_MESSAGES_PER_SECOND"],
            telegram_chat_messages_per_second=rates["TELEGRAM_CHAT_MESSAGES_PER_SECOND"],
            sms_accents=AccentMode(accents),
            sms_price_per_segment=rates["SMS_PRICE_PER_SEGMENT"],
            sender_lease_seconds=rates["SENDER_LEASE_SECONDS"],
            flood_limit_per_minute=int(flood_text),
            public_base_url=urls["PUBLIC_BASE_URL"],
            organizers=organizers,
            admin_password=text("ADMIN_PASSWORD"),
            host=text("HOST") or cls.host,
            port=int(port_text),
        )


def _whole_number(text: str) -> bool:
    """ASCII digits only: `str.isdigit` also accepts "²", which `int` then refuses."""
    return text.isascii() and text.isdigit()


def _positive(name: str, raw: str | None, default: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise ConfigError(name, f"must be a positive number, got {raw!r}")
    return value
