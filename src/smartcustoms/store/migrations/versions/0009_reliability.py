"""reliability: tamper-evident audit chains and datetime checks (issue 14)

Datetimes that users supply (a declaration's acceptance, an imported outcome's inspection date) get a database
CHECK: a year between 1900 and 2199 and, on SQLite (which stores text), the one zero-padded layout
'YYYY-MM-DD HH:MM:SS...' that SQLAlchemy reads back. Rows written before, unpadded ('1-01-01 ...': strftime's
%Y does not pad), are padded first. PostgreSQL gets a real CHECK constraint; SQLite cannot add one to a table
that exists without rebuilding it (and its children's foreign keys), so it gets the same condition as BEFORE
INSERT / UPDATE triggers that abort like a CHECK does ("CHECK constraint failed: <name>").

Revision ID: 0009
Revises: 0008
"""

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


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
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
    for table, column in CHECKED:
        name = _name(table, column)
        if dialect == "sqlite":
            for action in ("insert", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{action}")
        elif dialect == "postgresql":
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
