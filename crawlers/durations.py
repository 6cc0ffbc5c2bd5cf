"""Durations written the way people write them in config and on the command line: 90s, 15m, 12h, 7d."""

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")


def parse_duration(value: str | int | float) -> float:
    """Seconds in `value`: a number of seconds or a string like "1d", "36h", "0s"."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration such as 90s, 15m, 12h or 7d")
    number, unit = match.groups()
    return float(number) * _UNITS[unit or "s"]
