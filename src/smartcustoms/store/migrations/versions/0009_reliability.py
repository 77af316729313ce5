"""reliability: tamper-evident audit chains and datetime checks (issue 14)

Datetimes that users supply (a declaration's acceptance, an imported outcome's inspection date) get a database
CHECK: a year between 1900 and 2199 and, on SQLite (which stores text), the one zero-padded layout
'YYYY-MM-DD HH:MM:SS...' that SQLAlchemy reads back. Rows written before, unpadded ('1-01-01 ...': strftime's
%Y does not pad), are padded first. PostgreSQL gets a real CHECK constraint; SQLite cannot add one to a table
that exists without rebuilding it (and its children's foreign keys), so it gets the same condition as BEFORE
INSERT / UPDATE triggers that abort like a CHECK does ("CHECK constraint failed: <name>").

trail_links: the tamper-evident audit trail's hash chain, one per table (smartcustoms.trail).

auth_changes: one counter that triggers raise at every change of users, their scopes and API tokens, so that a
server's token cache sees a revocation at once (issue 14, 8).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

CHECKED = [("declarations", "acceptance_datetime"), ("outcomes", "inspection_date")]
LOWEST, BEYOND = "1900-01-01 00:00:00", "2200-01-01 00:00:00"
GLOB = "[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]*"  # store.db.SQLITE_TIME_GLOB


def _name(table: str, column: str) -> str:
    return f"ck_{table}_{column}"


# every change of these tables raises auth_changes.counter (the servers' API token caches compare it)
AUTH_TABLES = {"users": ("UPDATE", "DELETE"), "user_scopes": ("INSERT", "UPDATE", "DELETE"),
               "api_tokens": ("UPDATE", "DELETE")}


def _auth_changes(dialect: str) -> None:
    op.create_table("auth_changes", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("counter", sa.Integer, nullable=False))
    op.execute("INSERT INTO auth_changes (id, counter) VALUES (1, 0)")
    bump = "UPDATE auth_changes SET counter = counter + 1 WHERE id = 1"
    if dialect == "postgresql":
        op.execute(f"CREATE FUNCTION auth_changed() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {bump}; RETURN NULL; END $$")
    for table, actions in AUTH_TABLES.items():
        for action in actions:
            name = f"{table}_{action.lower()}_auth_changed"
            if dialect == "sqlite":
                op.execute(f"CREATE TRIGGER {name} AFTER {action} ON {table} BEGIN {bump}; END")
            elif dialect == "postgresql":
                op.execute(f"CREATE TRIGGER {name} AFTER {action} ON {table} FOR EACH STATEMENT "
                           f"EXECUTE FUNCTION auth_changed()")


def _drop_auth_changes(dialect: str) -> None:
    for table, actions in AUTH_TABLES.items():
        for action in actions:
            name = f"{table}_{action.lower()}_auth_changed"
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS auth_changed()")
    op.drop_table("auth_changes")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _auth_changes(dialect)
    op.create_table(  # the audit trail's links (smartcustoms.trail)
        "trail_links",
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("row_id", sa.Integer, nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("link_hash", sa.String(64), nullable=False),
        sa.Column("sealed_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("table_name", "seq", name="pk_trail_links"),
        sa.UniqueConstraint("table_name", "row_id", name="uq_trail_links_table_name"),
    )
    for table, column in CHECKED:
        name = _name(table, column)
        if dialect == "sqlite":
            # pad the year of rows stored unpadded ('999-06-01 ...' -> '0999-06-01 ...')
            op.execute(f"UPDATE {table} SET {column} = substr('0000', 1, 5 - instr({column}, '-')) || {column} "
                       f"WHERE instr({column}, '-') BETWEEN 2 AND 4")
            bad = (f"NEW.{column} IS NOT NULL AND (NEW.{column} NOT GLOB '{GLOB}' OR NEW.{column} < '{LOWEST}' "
                   f"OR NEW.{column} >= '{BEYOND}')")
            for action, when in (("insert", "INSERT"), ("update", f"UPDATE OF {column}")):
                op.execute(f"CREATE TRIGGER {name}_{action} BEFORE {when} ON {table} WHEN {bad} "
                           f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END")
        elif dialect == "postgresql":
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} >= '{LOWEST}' AND "
                       f"{column} < '{BEYOND}') NOT VALID")
            # rows stored before stay readable (they are refused on update only); checked whole when none is out
            outside = op.get_bind().exec_driver_sql(
                f"SELECT count(*) FROM {table} WHERE NOT ({column} >= '{LOWEST}' AND {column} < '{BEYOND}')"
            ).scalar()
            if not outside:
                op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_table("trail_links")
    _drop_auth_changes(dialect)
    for table, column in CHECKED:
        name = _name(table, column)
        if dialect == "sqlite":
            for action in ("insert", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{action}")
        elif dialect == "postgresql":
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
