"""Process-level tests: real newsbot processes (crash, SIGTERM, instances, end to end)."""
