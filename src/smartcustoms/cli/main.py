"""The `smartcustoms` command.

Lazy: a command group's module (and pandas, scikit-learn, LightGBM, the domains behind it) is imported only when
one of its commands runs, so `smartcustoms --help` answers at once. The help texts of the list below are kept
here for that; tests/cli/test_main.py checks that they match the modules' own.

To add a group: one line, `group("name", "smartcustoms.cli.module:app", "Help text.")`; a single command:
`command("name", "smartcustoms.cli.module:function", "Help text.")`.
"""

import importlib
from difflib import get_close_matches

import typer
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup

from smartcustoms import __version__

COMMANDS: dict[str, tuple[str, str]] = {}  # name: ("module:function", help), listed first
GROUPS: dict[str, tuple[str, str]] = {}  # name: ("module:Typer app", help), listed after the commands


def command(name: str, target: str, help: str) -> None:
    COMMANDS[name] = (target, help)


def group(name: str, target: str, help: str) -> None:
    GROUPS[name] = (target, help)


command("import", "smartcustoms.cli.intake:import_command",
        "Import declarations. Every record is validated against HS 2022 and ISO reference data; bad records go to "
        "the rejects table and a rejects file (row, field, reason), good ones are stored. Re-importing an identical "
        "declaration changes nothing; the same ID with other content is a conflict and is never overwritten. "
        "Exits 1 when nothing could be imported, 2 when the file cannot be read.")
command("generate", "smartcustoms.cli.world:generate_command",
        "Generate a synthetic customs world: declarations.csv (+ .parquet), what traders declared; inspections.csv, "
        "historic controls and outcomes (biased selection plus a random share); truth.csv, the fraud type and duty "
        "at stake of every declaration, for evaluation only. See docs/synthetic-world.md.")
command("assess", "smartcustoms.cli.risk:assess_command",
        "Give each declaration a lane (green, blue, yellow, red) with its reasons, and record the decisions in the "
        "append-only audit trail. Screens learn from declarations and outcomes dated before the first assessed "
        "declaration; profiles are those published now. Each decision opens its control chain in the same "
        "transaction: the declaration's clearance record and, in the red and yellow lanes, its inspection task.")
command("evaluate", "smartcustoms.cli.evaluate:evaluate_command",
        "Evaluate the targeting model against the truth of a world: fit on the declarations before --cut, score "
        "the rest, report Precision/Recall/Revenue@n% (n = 1, 2, 5, 10), AUC and calibration for the model, the "
        "profiles (manual targeting) and random on the same budget; then simulate --weeks weeks of targeting where "
        "the model only learns the outcomes of the declarations it selected.")
command("kpi", "smartcustoms.cli.kpi:kpi_command",
        "Key performance indicators: release times by office and lane (WCO Time Release Study: median and 90th "
        "percentile of lodgement -> lane -> release), control times from scheduling to completion (remote versus "
        "on site), hit rate by selection source (model, profiles, random, audit), the share of selections made by "
        "models, and revenue recovered (duty and penalties) by source, office and month. Exits with 1 when no "
        "declaration of the period has been given a lane.")
command("serve", "smartcustoms.cli.serve:serve_command",
        "Run the web server: the REST API under /api/v1 (OpenAPI document at /api/v1/openapi.json) and the trader "
        "portal. The risk engine is fitted at startup on the declarations and outcomes stored so far. Create "
        "accounts first with `smartcustoms users add`. Behind TLS, set SMARTCUSTOMS_COOKIE_SECURE=true.")
command("demo", "smartcustoms.cli.demo:demo_command",
        "Build the demo: generate a world of the year up to today under var/demo, store its declarations and "
        "historic outcomes, publish the risk profiles (committed by an analyst, approved by a supervisor), assess "
        "the last month as live traffic, work the controls with simulated officers (the last two days are left for "
        "you), audit, report the KPIs, register a targeting model, create demo users, and serve the portal and "
        "consoles on http://127.0.0.1:8000 until stopped.")

group("db", "smartcustoms.cli.db:app", "Database schema (Alembic migrations).")
group("risk", "smartcustoms.cli.risk:app", "Risk engine: profiles and replays.")
group("outcomes", "smartcustoms.cli.outcomes:app", "Control outcomes (inspection results).")
group("benchmark", "smartcustoms.cli.benchmark:app", "External benchmarks of the targeting model.")
group("models", "smartcustoms.cli.models:app",
      "Targeting models: the champion scores declarations, challengers wait for promotion. Every step is recorded "
      "in an append-only log; a promotion can be rolled back.")
group("control", "smartcustoms.cli.control:app",
      "The control chain: inspection tasks opened from red and yellow decisions, assigned at random among the "
      "qualified officers of the office, booked into slots (on site or remote), worked, completed with an outcome "
      "and released, detained or seized. Every step is checked and logged; a stale --version is refused (someone "
      "else changed the task).")
group("documents", "smartcustoms.cli.queries:documents",
      "Documentary checks: request supporting documents from the trader, and record them as received (linked to "
      "uploaded evidence) or waived.")
group("query", "smartcustoms.cli.queries:query",
      "Valuation queries (WTO Valuation Agreement, Decision 6.1): state the reasons to doubt the declared value, "
      "take the trader's answer until the deadline, then accept the value or adjust it (the duty is recomputed and "
      "the decision becomes an outcome).")
group("audit", "smartcustoms.cli.audit:app",
      "Post-clearance audit: plan audit cases among released declarations by residual risk x duty at stake under "
      "an audit capacity, one case per importer and period; open them, record findings (they become outcomes), "
      "close them.")
group("capacity", "smartcustoms.cli.capacity:app",
      "Capacity planning for clearance: a discrete-event simulation of arrivals, lanes, officers, inspection bays "
      "and remote inspections, giving release-time distributions and utilisation, and the officers or remote share "
      "that meet a release-time target. Checked against the M/M/c (Erlang C) formulas by `capacity validate`.")
group("users", "smartcustoms.cli.users:app", "Web accounts and API tokens.")
group("history", "smartcustoms.cli.scale:app",
      "The history as partitioned Parquet (by month and office), for the Dask engine.")
group("offices", "smartcustoms.cli.offices:app",
      "Customs offices: the reference list lodging checks (SMARTCUSTOMS_OFFICES_FILE).")
group("passengers", "smartcustoms.cli.passengers:app",
      "Passengers: import PAXLST and PNRGOV messages, match passengers against watchlists, passenger risk rules, "
      "screen a flight before it lands, and plan the arrival hall (SimPy).")
group("nii", "smartcustoms.cli.nii:app",
      "Non-intrusive inspection: train and benchmark the scan analysis, receive scans, run a drive-through lane. All "
      "models and figures are trained and measured on synthetic scans.")
group("trail", "smartcustoms.cli.trail:app",
      "The tamper-evident audit trail: hash chains over decisions, overrides, task events and outcomes.")


def load(name: str, pretty_exceptions_short: bool = True, rich_markup_mode=typer.core.DEFAULT_MARKUP_MODE,
         suggest_commands: bool = True):
    """The click command of a lazy entry, built the way `app.command(name)(f)` / `app.add_typer(a, name=name)`
    would have built it."""
    from typer.main import get_command_from_info, get_group_from_info
    from typer.models import CommandInfo, TyperInfo

    target, _ = COMMANDS.get(name) or GROUPS[name]
    module, attribute = target.split(":")
    found = getattr(importlib.import_module(module), attribute)
    if name in COMMANDS:
        return get_command_from_info(CommandInfo(name=name, callback=found),
                                     pretty_exceptions_short=pretty_exceptions_short, rich_markup_mode=rich_markup_mode)
    return get_group_from_info(TyperInfo(found, name=name), pretty_exceptions_short=pretty_exceptions_short,
                               rich_markup_mode=rich_markup_mode, suggest_commands=suggest_commands)


class LazyGroup(TyperGroup):
    """The top-level group: the lazy entries are loaded when resolved; help and completion list them from the
    texts above without importing anything."""

    _listing = False

    def list_commands(self, ctx) -> list[str]:
        eager = [name for name in self.commands if name not in COMMANDS and name not in GROUPS]
        return [*COMMANDS, *eager, *GROUPS]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS and cmd_name not in GROUPS:
            return None
        if self._listing:
            _, help = COMMANDS.get(cmd_name) or GROUPS[cmd_name]
            return TyperCommand(name=cmd_name, help=help)
        self.commands[cmd_name] = load(cmd_name, rich_markup_mode=self.rich_markup_mode,
                                       suggest_commands=self.suggest_commands)
        return self.commands[cmd_name]

    def format_help(self, ctx, formatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def shell_complete(self, ctx, incomplete: str):
        self._listing = True
        try:
            return super().shell_complete(ctx, incomplete)
        finally:
            self._listing = False

    def resolve_command(self, ctx, args):
        self._listing = False
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as error:  # TyperGroup's suggestions, from every name rather than the loaded ones
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args and self.suggest_commands else []
            if matches:
                error.message = f"{error.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
            raise


app = typer.Typer(
    cls=LazyGroup,
    help="smartcustoms: intake, risk assessment, targeting and control of customs declarations.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main() -> None:
    """(A group, not a single command, whatever is registered eagerly.)"""


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)
