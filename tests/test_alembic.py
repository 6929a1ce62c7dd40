"""Alembic migrations on a durable memtables database through the SQLAlchemy dialect:
autogenerate a revision that adds a column and an index, then a hand-written one that renames
a column; upgrade, check, downgrade — with ``alembic.command``, as the CLI runs them."""

from __future__ import annotations

import sys

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
{extra})
"""

ENV = """
from alembic import context
from sqlalchemy import engine_from_config, pool

import models

config = context.config
engine = engine_from_config(config.get_section(config.config_ini_section), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=models.metadata)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
"""

SCRIPT = '''"""${message}"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''

RENAME = '''"""rename name to full_name"""
from alembic import op

revision = "rename1"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("users", "name", new_column_name="full_name")


def downgrade():
    op.alter_column("users", "full_name", new_column_name="name")
'''


def test_autogenerate_add_column_then_rename_upgrade_and_downgrade(tmp_path, monkeypatch):
    url = f"memtables:///{tmp_path / 'app.mtdb'}"
    scripts = tmp_path / "migrations"
    (scripts / "versions").mkdir(parents=True)
    (scripts / "env.py").write_text(ENV)
    (scripts / "script.py.mako").write_text(SCRIPT)
    models = tmp_path / "models.py"
    models.write_text(MODELS.format(extra=""))
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = Config()
    cfg.set_main_option("script_location", str(scripts))
    cfg.set_main_option("sqlalchemy.url", url)

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as c:  # an existing database with a row in it
        c.execute(sa.text("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"))
        c.execute(sa.text("INSERT INTO users (name) VALUES ('ada')"))
    command.stamp(cfg, "base")

    models.write_text(
        MODELS.format(
            extra='    sa.Column("email", sa.Text),\n    sa.Column("age", sa.Integer, index=True),\n'
        )
    )
    sys.modules.pop("models", None)
    first = command.revision(cfg, message="add email and age", autogenerate=True)
    text = open(first.path).read()
    assert "op.add_column('users', sa.Column('email'" in text
    assert "op.create_index(op.f('ix_users_age')" in text
    assert "drop" not in text.split("def downgrade")[0]  # nothing else differs
    (scripts / "versions" / "rename1.py").write_text(RENAME.format(down=first.revision))

    command.upgrade(cfg, "head")
    insp = sa.inspect(engine)
    assert [c["name"] for c in insp.get_columns("users")] == ["id", "full_name", "email", "age"]
    assert [i["name"] for i in insp.get_indexes("users")] == ["ix_users_age"]
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT id, full_name, email FROM users")).all() == [
            (1, "ada", None)
        ]
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "rename1"

    command.downgrade(cfg, "base")
    insp = sa.inspect(engine)
    assert [c["name"] for c in insp.get_columns("users")] == ["id", "name"]
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT * FROM users")).all() == [(1, "ada")]
    engine.dispose()
