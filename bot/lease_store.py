"""Leases: which process does which work, decided in the database (issue: several
instances on one PostgreSQL). A lease has an owner and an expiry; a process killed with -9
simply stops renewing, and its work is taken over once the lease expires.

- Feed leases (columns on `feeds`): one process polls a feed per interval.
- Named leases (`leases` table): singletons such as the Telegram update reader.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, delete, or_, select, update

from bot.db import dialect_insert, reader_of
from bot.schema import feeds, leases


class LeaseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader = reader_of(engine)

    def claim_feed(self, url: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Take the feed if it is due and nobody else holds it. One conditional UPDATE:
        atomic on both dialects, so two processes can never both win."""
        due = or_(feeds.c.next_poll_at.is_(None), feeds.c.next_poll_at <= now)
        free = or_(feeds.c.lease_until.is_(None), feeds.c.lease_until < now,
                   feeds.c.lease_owner == owner)
        with self.engine.begin() as conn:
            return bool(conn.execute(update(feeds).where(
                feeds.c.url == url, feeds.c.gone.is_(False), due, free,
            ).values(lease_owner=owner, lease_until=now + ttl)).rowcount)

    def release_feed(self, url: str, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(feeds).where(feeds.c.url == url, feeds.c.lease_owner == owner)
                         .values(lease_owner=None, lease_until=None))

    def release_all(self, owner: str) -> None:
        """Clean shutdown: give back every feed and named lease this process holds."""
        with self.engine.begin() as conn:
            conn.execute(update(feeds).where(feeds.c.lease_owner == owner)
                         .values(lease_owner=None, lease_until=None))
            conn.execute(delete(leases).where(leases.c.owner == owner))

    def acquire(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew the named lease; False while another live owner holds it."""
        with self.engine.begin() as conn:
            stmt = dialect_insert(conn, leases).values(name=name, owner=owner, until=now + ttl)
            stmt = stmt.on_conflict_do_update(
                index_elements=["name"], set_={"owner": owner, "until": now + ttl},
                where=or_(leases.c.until < now, leases.c.owner == owner))
            conn.execute(stmt)
            holder = conn.execute(select(leases.c.owner).where(leases.c.name == name)).scalar()
        return holder == owner

    def release(self, name: str, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(leases).where(and_(leases.c.name == name,
                                                   leases.c.owner == owner)))

    def holder(self, name: str, now: datetime) -> str | None:
        with self.reader.connect() as conn:
            return conn.execute(select(leases.c.owner).where(
                leases.c.name == name, leases.c.until >= now)).scalar()
