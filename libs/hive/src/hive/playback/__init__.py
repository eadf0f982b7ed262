"""Replaying bars and channel messages through the running hive, deterministically."""

from hive.playback.driver import Playback, Progress
from hive.playback.quiescence import NotSettledError, Quiescence, TailReader
from hive.playback.timeline import Item, merge

__all__ = ["Item", "NotSettledError", "Playback", "Progress", "Quiescence", "TailReader", "merge"]
