"""Instants and days. The store keeps instants in UTC; QA staff count days in the call
center's own time zone (CALLQA_TIMEZONE), so a call at 00:30 Beijing time belongs to that
Beijing day, not to the UTC day before. Pure functions: no database here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.errors import ConfigError

# The day of a call sent without started_at. It never falls inside a range of days, but it
# counts towards "all time".
UNDATED = date(1, 1, 1)


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"CALLQA_TIMEZONE={name!r} is not a time zone name; use an IANA name such as "
                          "'Asia/Shanghai' or 'UTC'") from exc


def to_utc(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """An aware UTC datetime. A time sent without an offset is the center's local time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def local_day(moment: datetime | None, zone: ZoneInfo) -> date:
    """The center's calendar day of an instant (UNDATED for none)."""
    return UNDATED if moment is None else to_utc(moment, zone).astimezone(zone).date()


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) at which a local day begins."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
