"""A database trigger that refuses state changes outside a list of allowed transitions (SQLite and PostgreSQL),
so that even a direct UPDATE cannot skip a step of a workflow. Run inside a migration."""

from alembic import op


def enforce_transitions(table: str, column: str, allowed: list[tuple[str, str]]) -> None:
    pairs = ", ".join(f"'{a}>{b}'" for a, b in allowed)
    name = f"{table}_{column}_transition"
    illegal = f"OLD.{column} <> NEW.{column} AND (OLD.{column} || '>' || NEW.{column}) NOT IN ({pairs})"
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(f"CREATE TRIGGER {name} BEFORE UPDATE OF {column} ON {table} WHEN {illegal} "
                   f"BEGIN SELECT RAISE(ABORT, '{table}: illegal {column} transition'); END")
    elif dialect == "postgresql":
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF {illegal} THEN "
                   f"RAISE EXCEPTION '{table}: illegal {column} transition % -> %', OLD.{column}, NEW.{column}; "
                   f"END IF; RETURN NEW; END $$")
        op.execute(f"CREATE TRIGGER {name} BEFORE UPDATE OF {column} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {name}()")


def drop_transitions(table: str, column: str) -> None:
    name = f"{table}_{column}_transition"
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
