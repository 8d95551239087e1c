"""Settings: every knob has a working default, and a bad value stops the process at start.

`from_env` is always called with an explicit `environ` and `env_file=None` (or a file in
`tmp_path`), so neither the developer's shell nor a stray `.env` can leak into the tests.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from bot.config import Settings
from bot.errors import ConfigError


def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(environ=env, env_file=None)


def test_an_empty_environment_gives_working_defaults() -> None:
    config = settings({})

    scheme, _, path = config.database_url.partition(":///")
    assert scheme == "sqlite+aiosqlite"
    assert PurePosixPath(path).parent == PurePosixPath("data")
    assert config.bot_timezone == "America/Los_Angeles"
    assert config.zone.key == "America/Los_Angeles"
    assert config.port == 8080
    assert config.telegram_api_base_url == "https://api.telegram.org"
    assert config.twilio_api_base_url == "https://api.twilio.com"
    assert config.public_base_url is None
    assert config.telegram_bot_token is None
    assert config.organizers == frozenset()


def test_blank_values_count_as_unset() -> None:
    config = settings({"PORT": "  ", "BOT_TIMEZONE": "", "DATABASE_URL": " "})

    assert config == settings({})


def test_valid_values_are_read() -> None:
    config = settings(
        {
            "DATABASE_URL": "postgresql+asyncpg://bot@127.0.0.1:5432/bot",
            "BOT_TIMEZONE": "America/Chicago",
            "PORT": "9000",
            "HOST": "0.0.0.0",
            "PUBLIC_BASE_URL": "https://bot.example.org",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:8082",
            "TELEGRAM_BOT_TOKEN": "123:abc",
        }
    )

    assert config.database_url == "postgresql+asyncpg://bot@127.0.0.1:5432/bot"
    assert config.zone.key == "America/Chicago"
    assert config.port == 9000
    assert config.host == "0.0.0.0"
    assert config.public_base_url == "https://bot.example.org"
    assert config.telegram_api_base_url == "http://127.0.0.1:8081"
    assert config.twilio_api_base_url == "http://127.0.0.1:8082"
    assert config.telegram_bot_token == "123:abc"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BOT_TIMEZONE", "Mars/Olympus"),
        ("BOT_TIMEZONE", "../../etc/passwd"),
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("PORT", "0"),
        ("PORT", "-1"),
        ("DATABASE_URL", "mysql://x"),
        ("DATABASE_URL", "sqlite:///data/bot.db"),
        ("PUBLIC_BASE_URL", "ftp://x"),
        ("PUBLIC_BASE_URL", "bot.example.org"),
        ("TELEGRAM_API_BASE_URL", "ftp://x"),
        ("TWILIO_API_BASE_URL", "ftp://x"),
    ],
    ids=lambda value: str(value),
)
def test_a_bad_value_fails_fast_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings({variable: value})

    assert raised.value.variable == variable
    assert str(raised.value).startswith(f"{variable}:")


def test_organizers_are_a_set_with_spaces_trimmed() -> None:
    config = settings({"ORGANIZERS": " 123456789 , +15551234567,,  +15551234567 ,"})

    assert config.organizers == frozenset({"123456789", "+15551234567"})


def test_a_dotenv_file_is_read_and_the_real_environment_overrides_it(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "PORT=9000\nBOT_TIMEZONE=America/New_York\nORGANIZERS=111, 222\n", encoding="utf-8"
    )

    from_file = Settings.from_env(environ={}, env_file=env_file)
    overridden = Settings.from_env(environ={"PORT": "9100"}, env_file=env_file)

    assert from_file.port == 9000
    assert from_file.bot_timezone == "America/New_York"
    assert from_file.organizers == frozenset({"111", "222"})
    assert overridden.port == 9100
    assert overridden.bot_timezone == "America/New_York"


def test_a_bad_value_in_the_dotenv_file_fails_fast_too(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=eighty\n", encoding="utf-8")

    with pytest.raises(ConfigError) as raised:
        Settings.from_env(environ={}, env_file=env_file)

    assert raised.value.variable == "PORT"


def test_a_missing_dotenv_file_is_not_an_error(tmp_path: Path) -> None:
    assert Settings.from_env(environ={}, env_file=tmp_path / "absent.env") == settings({})
