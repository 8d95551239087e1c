"""Console sessions and failed sign-ins, kept in the database.

Sessions live in the database rather than in a signed cookie so that signing out (or a
stolen cookie being revoked) takes effect at once in every process, and so the CSRF
token bound to a session can be checked anywhere. Only a hash of the cookie's token is
stored. Failed attempts are counted per client address and overall: a guesser gets
`MAX_FAILURES_PER_ADDRESS` tries per window, a botnet `MAX_FAILURES_OVERALL`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.tables import admin_login_failures, admin_sessions

SESSION_LIFETIME = timedelta(hours=12)
# A session's expiry slides with use, but not on every click: one write per few minutes.
TOUCH_EVERY = timedelta(minutes=5)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ADDRESS = 5
MAX_FAILURES_OVERALL = 50


@dataclass(frozen=True)
class AdminSession:
    token_hash: str
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(connection: AsyncConnection, now: datetime) -> tuple[str, AdminSession]:
    """A new session; returns the cookie's token (shown once, never stored) and the session."""
    token = secrets.token_urlsafe(32)
    session = AdminSession(_hash(token), secrets.token_urlsafe(32))
    await connection.execute(
        admin_sessions.insert().values(
            token_hash=session.token_hash,
            csrf_token=session.csrf_token,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    await connection.execute(delete(admin_sessions).where(admin_sessions.c.expires_at <= now))
    return token, session


async def find_session(
    connection: AsyncConnection, token: str, now: datetime
) -> AdminSession | None:
    """The live session behind a cookie's token, its expiry pushed back if due."""
    token_hash = _hash(token)
    row = (
        await connection.execute(
            select(admin_sessions).where(
                admin_sessions.c.token_hash == token_hash, admin_sessions.c.expires_at > now
            )
        )
    ).first()
    if row is None:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        await connection.execute(
            update(admin_sessions)
            .where(admin_sessions.c.token_hash == token_hash)
            .values(last_seen_at=now, expires_at=now + SESSION_LIFETIME)
        )
    return AdminSession(row.token_hash, row.csrf_token)


async def close_session(connection: AsyncConnection, token: str) -> None:
    await connection.execute(
        delete(admin_sessions).where(admin_sessions.c.token_hash == _hash(token))
    )


async def wait_before_next_attempt(
    connection: AsyncConnection, remote: str, now: datetime
) -> timedelta | None:
    """How long `remote` must wait before trying again, or None if it may try now."""
    since = now - FAILURE_WINDOW
    recent = admin_login_failures.c.created_at > since
    mine = await connection.execute(
        select(func.count(), func.min(admin_login_failures.c.created_at)).where(
            recent, admin_login_failures.c.remote == remote
        )
    )
    count, oldest = mine.one()
    if count >= MAX_FAILURES_PER_ADDRESS:
        return _until_free(oldest, now)
    overall = await connection.execute(
        select(func.count(), func.min(admin_login_failures.c.created_at)).where(recent)
    )
    count, oldest = overall.one()
    if count >= MAX_FAILURES_OVERALL:
        return _until_free(oldest, now)
    return None


def _until_free(oldest: datetime, now: datetime) -> timedelta:
    """When the oldest failure in the window leaves it, one more attempt is allowed."""
    return oldest + FAILURE_WINDOW - now


async def record_failure(connection: AsyncConnection, remote: str, now: datetime) -> None:
    await connection.execute(admin_login_failures.insert().values(remote=remote, created_at=now))
    await connection.execute(
        delete(admin_login_failures).where(
            admin_login_failures.c.created_at <= now - FAILURE_WINDOW
        )
    )


async def forget_failures(connection: AsyncConnection, remote: str) -> None:
    await connection.execute(
        delete(admin_login_failures).where(admin_login_failures.c.remote == remote)
    )
