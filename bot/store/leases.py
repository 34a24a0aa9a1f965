"""Leases: which process does which work, decided in the database (issue: several
instances on one PostgreSQL). A lease has an owner and an expiry; a process killed with -9
simply stops renewing, and its work is taken over once the lease expires.

- Feed leases (columns on `feeds`): one process polls a feed per interval.
- Named leases (`leases` table): singletons such as the Telegram update reader.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, Update, and_, bindparam, delete, or_, select, update

from bot.store.db import dialect_insert, reader_of
from bot.store.schema import feeds, leases, outbox
from bot.store.wrap import wrapped_methods


# Built once (run on every poll): SQLAlchemy memoises a statement's cache key on the object.
def _claim(due: ColumnElement[bool]) -> Update:
    free = or_(feeds.c.lease_until.is_(None), feeds.c.lease_until < bindparam("_now"),
               feeds.c.lease_owner == bindparam("_owner"))
    return update(feeds).where(feeds.c.url == bindparam("_url"), feeds.c.gone.is_(False),
                               due, free).values(lease_owner=bindparam("_owner"),
                                                 lease_until=bindparam("_until"))


_CLAIM_DUE = _claim(or_(feeds.c.next_poll_at.is_(None),
                        feeds.c.next_poll_at <= bindparam("_now")))
_CLAIM_NOT_POLLED = _claim(or_(feeds.c.last_attempt.is_(None),
                               feeds.c.last_attempt < bindparam("_since")))
RELEASE_FEED = update(feeds).where(feeds.c.url == bindparam("_url"),
                               feeds.c.lease_owner == bindparam("_owner")).values(
    lease_owner=None, lease_until=None)


@wrapped_methods
class LeaseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader = reader_of(engine)

    def claim_feed(self, url: str, owner: str, now: datetime, ttl: timedelta, *,
                   not_polled_since: datetime | None = None) -> bool:
        """Take the feed if it is due and nobody else holds it. One conditional UPDATE:
        atomic on both dialects, so two processes can never both win.

        Due means its next_poll_at has come (the scheduler), or, with `not_polled_since`
        (`run --once`), that no process has polled it since that moment: several `--once`
        runs started together split the feeds; a later one polls them all again."""
        stmt = _CLAIM_DUE if not_polled_since is None else _CLAIM_NOT_POLLED
        with self.engine.begin() as conn:
            params = {"_url": url, "_owner": owner, "_now": now, "_until": now + ttl}
            if not_polled_since is not None:
                params["_since"] = not_polled_since
            return bool(conn.execute(stmt, params).rowcount)

    def feed_next(self, url: str, now: datetime) -> datetime:
        """When this process should look at a feed it could not claim: when it is due, or
        when the holder's lease runs out (a holder killed with -9 never releases it)."""
        with self.reader.connect() as conn:
            row = conn.execute(select(feeds.c.next_poll_at, feeds.c.lease_until, feeds.c.gone)
                               .where(feeds.c.url == url)).first()
        if row is None or row[2]:
            return now + timedelta(minutes=5)
        candidates = [t for t in (row[0], row[1]) if t is not None and t > now]
        return max(candidates, default=now) + timedelta(seconds=0.5)

    def release_feed(self, url: str, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(RELEASE_FEED, {"_url": url, "_owner": owner})

    def release_all(self, owner: str) -> None:
        """Clean shutdown: give back every feed and named lease this process holds."""
        with self.engine.begin() as conn:
            conn.execute(update(feeds).where(feeds.c.lease_owner == owner)
                         .values(lease_owner=None, lease_until=None))
            conn.execute(delete(leases).where(leases.c.owner == owner))

    def owners(self, prefix: str) -> set[str]:
        """Every owner holding a feed, named or outbox lease whose id starts with `prefix`
        (a host: "hostname:"), for finding this host's processes that died holding them."""
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.reader.connect() as conn:
            found: set[str] = set()
            for column in (feeds.c.lease_owner, leases.c.owner, outbox.c.lease_owner):
                found.update(conn.execute(select(column).where(
                    column.like(like, escape="\\")).distinct()).scalars())
        return found

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
