"""The summary and the HTML report of a run (a replay): read what the run left on the topics,
count it, print it, draw it.

    data = collect_run(bootstrap, registry_url, start)   # start: start_offsets() before the run
    print(format_summary(summarize(data)))
    write_report(data, Path("report.html"))
"""

from hive_tools.report.collect import (
    REPORT_TOPICS,
    ReportError,
    RunData,
    collect_run,
    start_offsets,
)
from hive_tools.report.html import render_report, write_report
from hive_tools.report.summary import BotSummary, BreakerTrip, GroupStats, Summary, summarize
from hive_tools.report.text import format_summary

__all__ = [
    "REPORT_TOPICS",
    "BotSummary",
    "BreakerTrip",
    "GroupStats",
    "ReportError",
    "RunData",
    "Summary",
    "collect_run",
    "format_summary",
    "render_report",
    "start_offsets",
    "summarize",
    "write_report",
]
