"""The evidence register, append-only (a revision is a new row), and each system's assessment results.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_registers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("digest", sa.String(length=100), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.String(length=40), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_evidence_registers_digest", "evidence_registers", ["digest"], unique=True)
    op.create_table(
        "evidence_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=100), nullable=False),
        sa.Column("requirements", sa.Text(), nullable=False),
        sa.Column("systems", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("officer_name", sa.Text(), nullable=False),
        sa.Column("officer_position", sa.Text(), nullable=False),
        sa.Column("date", sa.String(length=10), nullable=False),
        sa.Column("valid_until", sa.String(length=10), nullable=True),
        sa.Column("file", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["register_id"], ["evidence_registers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_evidence_entries_register", "evidence_entries", ["register_id"], unique=False)
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("generated_at", sa.String(length=40), nullable=False),
        sa.Column("system_id", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("regime", sa.String(length=40), nullable=False),
        sa.Column("catalogue", sa.String(length=100), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("register_id", sa.Integer(), nullable=True),
        sa.Column("inventory_digest", sa.String(length=100), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("partially_met", sa.Integer(), nullable=False),
        sa.Column("not_met", sa.Integer(), nullable=False),
        sa.Column("not_applicable", sa.Integer(), nullable=False),
        sa.Column("not_assessed", sa.Integer(), nullable=False),
        sa.Column("compliant", sa.Boolean(), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["register_id"], ["evidence_registers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assessments_system", "assessments", ["system_id", "generated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_assessments_system", table_name="assessments")
    op.drop_table("assessments")
    op.drop_index("ix_evidence_entries_register", table_name="evidence_entries")
    op.drop_table("evidence_entries")
    op.drop_index("ix_evidence_registers_digest", table_name="evidence_registers")
    op.drop_table("evidence_registers")
