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


def local_instants(tz_name):
    """A function turning stored UTC instants (naive) into the school's clock. Answers hand
    the values to the JSON writer, which formats them as ISO 8601 far faster than isoformat
    (routes/json_output.py); in UTC, the default, they are left as they are."""
    if tz_name in ("UTC", "Etc/UTC"):
        return lambda value: value
    zone = ZoneInfo(tz_name)
    return lambda value: None if value is None else value.replace(tzinfo=timezone.utc).astimezone(zone)
