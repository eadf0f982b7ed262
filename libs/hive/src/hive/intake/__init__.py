"""Intake: turn exported chats, text files and JSON lines into `signals.raw` records.

Every reader validates the whole file before anything is published, and names the line (or
message) and what is wrong when it cannot.
"""

from hive.intake.records import IntakeError, raw_record

__all__ = ["IntakeError", "raw_record"]
