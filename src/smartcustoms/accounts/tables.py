"""The accounts' tables: users and their scopes, sessions, API tokens, login attempts, submissions (who lodged
each declaration through the web). Secrets are never stored: a session cookie or an API token is kept as its
SHA-256."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from smartcustoms.store.db import metadata

users = Table(
    "users",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(12), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("role IN ('trader', 'officer', 'analyst', 'supervisor', 'admin')", name="ck_users_role"),
)

user_scopes = Table(  # what a trader lodges for (importer, declarant IDs) and where an officer works (offices)
    "user_scopes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.user_id"), primary_key=True),
    Column("kind", String(10), primary_key=True),
    Column("value", String(35), primary_key=True),
    CheckConstraint("kind IN ('importer', 'declarant', 'office')", name="ck_user_scopes_kind"),
)

user_sessions = Table(
    "user_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),  # SHA-256 of the cookie's value
    Column("user_id", Integer, ForeignKey("users.user_id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False, index=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.user_id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the token
    Column("prefix", String(16), nullable=False),  # its first characters, to recognise it in a list
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("attempt_id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("success", Boolean, nullable=False),
    Index("ix_login_attempts_username_at", "username", "at"),
    Index("ix_login_attempts_address_at", "address", "at"),
)

submissions = Table(  # who lodged each declaration through the web, how and when
    "submissions",
    metadata,
    Column("declaration_id", String(35), ForeignKey("declarations.declaration_id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.user_id"), nullable=False, index=True),
    Column("channel", String(10), nullable=False),
    Column("submitted_at", DateTime, nullable=False),
    CheckConstraint("channel IN ('api', 'file', 'form')", name="ck_submissions_channel"),
)

auth_changes = Table(  # one row: a counter that database triggers raise at every change of users, scopes, tokens
    "auth_changes",    # (migration 0009); a server trusts the API tokens it checked only while it is unchanged
    metadata,
    Column("id", Integer, primary_key=True),
    Column("counter", Integer, nullable=False, default=0),
)
