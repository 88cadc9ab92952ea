"""Imports of other tools' reports: runs of their own kind, the file they came from, their items.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default="scan"))
    op.create_table(
        "imports",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("tool", sa.String(length=40), nullable=False),
        sa.Column("tool_version", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("scan_started", sa.String(length=40), nullable=True),
        sa.Column("scan_finished", sa.String(length=40), nullable=True),
        sa.Column("hosts", sa.Text(), nullable=False),
        sa.Column("unmatched_hosts", sa.Text(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id"),
        sa.UniqueConstraint("file_sha256", name="uq_imports_file_sha256"),
    )
    op.create_index("ix_imports_tool", "imports", ["tool", "scan_finished"], unique=False)
    op.create_table(
        "imported_findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("system_id", sa.String(length=200), nullable=True),
        sa.Column("tool", sa.String(length=40), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("tool_severity", sa.String(length=40), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("host", sa.String(length=300), nullable=False),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("cves", sa.Text(), nullable=False),
        sa.Column("cwe", sa.String(length=20), nullable=False),
        sa.Column("solution", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.String(length=40), nullable=True),
        sa.Column("last_seen", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_imported_findings_run", "imported_findings", ["run_id"], unique=False)
    op.create_index("ix_imported_findings_fingerprint", "imported_findings", ["fingerprint"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_imported_findings_fingerprint", table_name="imported_findings")
    op.drop_index("ix_imported_findings_run", table_name="imported_findings")
    op.drop_table("imported_findings")
    op.drop_index("ix_imports_tool", table_name="imports")
    op.drop_table("imports")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("kind")
