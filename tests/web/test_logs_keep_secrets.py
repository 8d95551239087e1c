"""No log line shows a token, a password or a full phone number, whatever wrote it.

The server runs with every logger at DEBUG (the chattiest a deployment could set), its
lines formatted as `main.py` formats them, while parents write by SMS and Telegram, an
organizer signs in (once with a wrong password), and a database error quotes a number.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.log_redaction import RedactingFormatter
from bot.runtime import Runtime
from bot.store.tables import contacts
from tests.support.console import browser, sign_in
from tests.support.fake_telegram import text_update
from tests.support.fake_twilio import TEST_AUTH_TOKEN
from tests.support.server import (
    ADMIN_PASSWORD,
    TELEGRAM_TOKEN,
    WEBHOOK_SECRET,
    running_server,
)

PARENT = "+15551230000"
SECRETS = (TELEGRAM_TOKEN, WEBHOOK_SECRET, TEST_AUTH_TOKEN, ADMIN_PASSWORD)


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """Everything logged during the test, as main.py's formatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(name)s: %(message)s", SECRETS))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def assert_nothing_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
    assert PARENT not in text and PARENT[1:] not in text


async def test_a_busy_server_logs_no_secret_and_no_full_number(
    runtime: Runtime, log_text: io.StringIO
) -> None:
    async with running_server(runtime) as server:
        status, _ = await server.post_sms(PARENT, "hello")
        assert status == 200
        response = await server.post_update(text_update(1, 424242, "next session"))
        assert response.status == 200
        await server.twilio.wait_for_sent(1)
        await server.telegram.wait_for_sent(1)
        async with browser(server.url) as client:
            assert (await sign_in(client, password="not the password")).status == 401
            assert (await sign_in(client)).status == 303
        await server.services.inbox.close()

    text = log_text.getvalue()
    assert "+1******0000" in text  # the SMS was logged, masked
    assert "twilio" in text.lower() and "telegram" in text.lower()  # DEBUG really was on
    assert_nothing_secret(text)


async def test_a_database_error_quoting_a_number_is_masked(
    runtime: Runtime, log_text: io.StringIO
) -> None:
    row = {"channel": "sms", "address": PARENT, "opted_out": False, "locale_chosen": False}
    row |= {"state": {}, "created_at": runtime.clock(), "last_seen_at": runtime.clock()}
    with pytest.raises(IntegrityError) as raised:
        async with runtime.engine.begin() as connection:
            await connection.execute(insert(contacts), [row, row])
    assert PARENT in str(raised.value)  # SQLAlchemy does quote it…
    logging.getLogger("bot.test").error("turn failed", exc_info=raised.value)

    text = log_text.getvalue()
    assert "+1******0000" in text  # …and the log shows it masked
    assert_nothing_secret(text)
