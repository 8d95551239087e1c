"""Named leases in the database: which process is the one sending on a channel.

Provider rate limits are per account, not per process. Letting exactly one process send
on a channel at a time keeps the sum under the limit with no coordination per message;
the lease expires when its holder stops renewing it (killed, hung, partitioned from the
database), and another process takes over. Expiry uses each process's clock, so hosts
must keep time (NTP) to within a fraction of the lease length.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.tables import leases
from bot.store.upsert import insert_for


async def hold(
    connection: AsyncConnection, name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Take or renew the lease `name` for `holder` until now + ttl; False if someone else has it."""
    renewed = await connection.execute(
        update(leases)
        .where(
            leases.c.name == name,
            # A lease is free from its expiry on: `release` sets that to its own now.
            or_(leases.c.holder == holder, leases.c.expires_at <= now),
        )
        .values(holder=holder, expires_at=now + ttl)
    )
    if renewed.rowcount:
        return True
    created = await connection.execute(
        insert_for(connection, leases)
        .values(name=name, holder=holder, expires_at=now + ttl)
        .on_conflict_do_nothing(index_elements=[leases.c.name])
    )
    return bool(created.rowcount)


async def release(connection: AsyncConnection, name: str, holder: str, now: datetime) -> None:
    """Give the lease up at a clean shutdown, so a successor need not wait for it to expire."""
    await connection.execute(
        update(leases)
        .where(leases.c.name == name, leases.c.holder == holder)
        .values(expires_at=now)
    )
