"""The one place that reads the clock, so tests can move time."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo


def now():
    return datetime.now(timezone.utc)


def utc_naive():
    """Now in UTC, naive: how instants (marked_time, expiry) are stored."""
    return now().replace(tzinfo=None)


def local_naive(tz_name):
    """Now on the school's wall clock, naive: how class times are stored."""
    return now().astimezone(ZoneInfo(tz_name)).replace(tzinfo=None)


def local_iso_formatter(tz_name):
    """A function turning stored UTC instants into ISO 8601 on the school's clock; made once
    per zone for listings of thousands of values, and UTC (the default) skips the conversion."""
    zone = ZoneInfo(tz_name)
    if tz_name in ("UTC", "Etc/UTC"):
        return lambda value: None if value is None else value.isoformat(timespec="seconds") + "+00:00"
    return lambda value: None if value is None else (
        value.replace(tzinfo=timezone.utc).astimezone(zone).isoformat(timespec="seconds"))


def to_local_iso(utc_value, tz_name):
    return local_iso_formatter(tz_name)(utc_value)
