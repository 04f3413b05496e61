"""``pystorm.exceptions``: pystorm's names for stormbridge's errors."""

from stormbridge.errors import StormWentAwayError

__all__ = ["StormWentAwayError"]
