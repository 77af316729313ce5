"""`smartcustoms users ...`: accounts of the web (traders, officers, analysts, supervisors, admins) and API
tokens for systems."""

from typing import Annotated

import typer
from rich.table import Table

from smartcustoms.accounts import service as accounts
from smartcustoms.accounts.service import ROLES, AccountError, PasswordError, make_hasher
from smartcustoms.cli.common import console, engine, errors, fail
from smartcustoms.store import migrate
from smartcustoms.web.config import get_web_settings

app = typer.Typer(help="Web accounts and API tokens.", no_args_is_help=True)

PasswordOption = Annotated[str | None, typer.Option(help="The password (default: asked for, not echoed). On a "
                                                    "shared machine prefer the prompt: options show in `ps`.")]


def _db():
    db = engine()
    if migrate.current(db) != migrate.head(db):
        fail("the database schema is not up to date: run `smartcustoms db upgrade` first", 2)
    return db


def _hasher():
    settings = get_web_settings()
    return make_hasher(settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism)


def _password(password: str | None) -> str:
    if password is not None:
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command("add")
def add_command(
    username: Annotated[str, typer.Argument(help="Login name: 2 to 64 letters, digits, . _ @ -")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    importer: Annotated[list[str] | None, typer.Option(help="Importer ID a trader lodges for (repeat it).")] = None,
    declarant: Annotated[list[str] | None, typer.Option(help="Declarant ID a trader lodges as (repeat it).")] = None,
    office: Annotated[list[str] | None, typer.Option(help="Office an officer works at (repeat it).")] = None,
    password: PasswordOption = None,
) -> None:
    """Create an account. A trader is bound to importer and/or declarant IDs and sees and lodges only their
    declarations; an officer is bound to offices; analysts, supervisors and admins see every declaration."""
    db = _db()
    try:
        user = accounts.create_user(db, username, _password(password), role, importers=importer or (),
                                    declarants=declarant or (), offices=office or (), hasher=_hasher())
    except (AccountError, PasswordError) as exc:
        fail(f"{exc}. Nothing was written.", 2)
    console.print(f"user {user.username} created: {user.role}{_scopes(user)}", highlight=False)


def _scopes(user: accounts.User) -> str:
    parts = [f"{what} {', '.join(ids)}" for what, ids in (("importers", user.importer_ids),
                                                          ("declarants", user.declarant_ids),
                                                          ("offices", user.office_ids)) if ids]
    return f" ({'; '.join(parts)})" if parts else ""


@app.command("list")
def list_command() -> None:
    """Every account with its role, the IDs it is bound to, and its active API tokens."""
    db = _db()
    tokens: dict[str, int] = {}
    for token in accounts.list_tokens(db):
        if token.revoked_at is None:
            tokens[token.username] = tokens.get(token.username, 0) + 1
    table = Table(title="Accounts")
    for column in ("username", "role", "active", "importers", "declarants", "offices", "API tokens", "created"):
        table.add_column(column)
    for user in accounts.list_users(db):
        table.add_row(user.username, user.role, "yes" if user.active else "no", ", ".join(user.importer_ids),
                      ", ".join(user.declarant_ids), ", ".join(user.office_ids), str(tokens.get(user.username, 0)),
                      f"{user.created_at:%Y-%m-%d %H:%M}")
    console.print(table)


@app.command("token")
def token_command(
    username: Annotated[str, typer.Argument(help="Whose token: the system acts with this account's rights.")],
    name: Annotated[str, typer.Option(help="What uses the token (recorded, shown in `users tokens`).")] = "api",
) -> None:
    """Create an API token and print it, once: it is stored only as a hash. Send it as
    `Authorization: Bearer sct_...`."""
    try:
        token_id, token = accounts.create_token(_db(), username, name)
    except AccountError as exc:
        fail(f"{exc}. Nothing was written.", 2)
    errors.print(f"API token {token_id} for {accounts.normal_username(username)} ({name}); it is shown this "
                 f"once, keep it secret:", highlight=False)
    typer.echo(token)


@app.command("tokens")
def tokens_command(username: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None) -> None:
    """API tokens (their first characters only) and whether they are revoked."""
    table = Table(title="API tokens")
    for column in ("token ID", "user", "name", "starts with", "created", "revoked"):
        table.add_column(column)
    for token in accounts.list_tokens(_db(), username):
        table.add_row(str(token.token_id), token.username, token.name, token.prefix + "…",
                      f"{token.created_at:%Y-%m-%d %H:%M}",
                      f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "")
    console.print(table)


@app.command("revoke-token")
def revoke_token_command(token_id: Annotated[int, typer.Argument(help="See `smartcustoms users tokens`.")]) -> None:
    """Revoke an API token: requests with it are refused from now on."""
    try:
        accounts.revoke_token(_db(), token_id)
    except AccountError as exc:
        fail(f"{exc}. Nothing was written.", 2)
    console.print(f"API token {token_id} revoked")


@app.command("set-password")
def set_password_command(username: str, password: PasswordOption = None) -> None:
    """Give an account a new password; its open sessions end."""
    try:
        accounts.set_password(_db(), username, _password(password), _hasher())
    except (AccountError, PasswordError) as exc:
        fail(f"{exc}. Nothing was written.", 2)
    console.print(f"password of {accounts.normal_username(username)} changed; its sessions ended")


@app.command("disable")
def disable_command(username: str) -> None:
    """Disable an account: its sessions end, its API tokens and password stop working."""
    try:
        accounts.set_active(_db(), username, False)
    except AccountError as exc:
        fail(f"{exc}. Nothing was written.", 2)
    console.print(f"{accounts.normal_username(username)} disabled")


@app.command("enable")
def enable_command(username: str) -> None:
    """Enable a disabled account again."""
    try:
        accounts.set_active(_db(), username, True)
    except AccountError as exc:
        fail(f"{exc}. Nothing was written.", 2)
    console.print(f"{accounts.normal_username(username)} enabled")
