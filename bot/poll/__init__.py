"""A poll cycle over many feeds: `poll_cycle()` (thread pool, per-host limits, the curl
multiplexer) and `poll_one()` for the scheduler's per-feed jobs."""

from bot.poll.cycle import HostLimiter, ParsePool, poll_cycle, poll_one

__all__ = ["HostLimiter", "ParsePool", "poll_cycle", "poll_one"]
