"""`hive`: operate the hive from the command line.

Each command group lives in its own module; heavy imports happen inside the commands so
`hive --help` stays instant.
"""

from __future__ import annotations

import typer

from hive_tools.cli import audit, bots, contracts, control, ingest, keys, market, models, parser
from hive_tools.cli.replay import replay
from hive_tools.cli.report import report_cmd
from hive_tools.cli.run import run_app

app = typer.Typer(
    name="hive",
    help="Trading Hive: signals to risk-checked orders for many accounts.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(contracts.topics_app, name="topics")
app.add_typer(contracts.schemas_app, name="schemas")
app.add_typer(ingest.app, name="ingest")
app.add_typer(market.feed_app, name="feed")
app.add_typer(market.regimes_app, name="regimes")
app.add_typer(parser.app, name="parser")
app.add_typer(bots.bots_app, name="bots")
app.add_typer(bots.cards_app, name="cards")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(control.control_app, name="control")
app.add_typer(models.models_app, name="models")
app.add_typer(keys.keys_app, name="keys")
app.command("run")(run_app)
app.command("report")(report_cmd)
app.command("replay")(replay)

try:  # the infra group is optional in images that run one service only
    from hive_tools.cli import infra

    app.add_typer(infra.app, name="infra", help="Start, stop and inspect the local servers.")
except ImportError:  # pragma: no cover
    pass


if __name__ == "__main__":
    app()
