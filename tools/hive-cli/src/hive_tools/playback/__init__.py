"""Replaying bars and channel messages through the running hive, deterministically."""

from hive_tools.playback.driver import Playback, Progress
from hive_tools.playback.quiescence import NotSettledError, Quiescence, TailReader
from hive_tools.playback.timeline import Item, merge

__all__ = ["Item", "NotSettledError", "Playback", "Progress", "Quiescence", "TailReader", "merge"]
