"""The first schema: runs, run_systems, findings, ports, port_scans, certificates.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('runs',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.String(length=40), nullable=False),
    sa.Column('finished_at', sa.String(length=40), nullable=False),
    sa.Column('stored_at', sa.String(length=40), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('inventory_file', sa.Text(), nullable=False),
    sa.Column('inventory_digest', sa.String(length=100), nullable=False),
    sa.Column('organisation', sa.Text(), nullable=False),
    sa.Column('regime', sa.String(length=40), nullable=False),
    sa.Column('tool_version', sa.String(length=40), nullable=False),
    sa.Column('policies', sa.Text(), nullable=False),
    sa.Column('options', sa.Text(), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('systems_total', sa.Integer(), nullable=False),
    sa.Column('systems_compliant', sa.Integer(), nullable=False),
    sa.Column('findings_failed', sa.Integer(), nullable=False),
    sa.Column('document', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_runs_scope_started', 'runs', ['scope', 'started_at'], unique=False)
    op.create_index('ix_runs_started', 'runs', ['started_at'], unique=False)
    op.create_table('certificates',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('system_id', sa.String(length=200), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('issuer', sa.Text(), nullable=False),
    sa.Column('not_after', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('signature_algorithm', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE')
    )
    op.create_index('ix_certificates_not_after', 'certificates', ['not_after'], unique=False)
    op.create_index('ix_certificates_run', 'certificates', ['run_id'], unique=False)
    op.create_table('findings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('system_id', sa.String(length=200), nullable=False),
    sa.Column('control_id', sa.String(length=200), nullable=False),
    sa.Column('control_ref', sa.String(length=200), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('message_key', sa.String(length=200), nullable=False),
    sa.Column('message_args', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('waiver', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_findings_identity', 'findings', ['system_id', 'control_id', 'target'], unique=False)
    op.create_index('ix_findings_run', 'findings', ['run_id'], unique=False)
    op.create_table('port_scans',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('system_id', sa.String(length=200), nullable=False),
    sa.Column('host', sa.String(length=300), nullable=False),
    sa.Column('requested', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE')
    )
    op.create_index('ix_port_scans_run', 'port_scans', ['run_id'], unique=False)
    op.create_table('ports',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('system_id', sa.String(length=200), nullable=False),
    sa.Column('host', sa.String(length=300), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('protocol', sa.String(length=8), nullable=False),
    sa.Column('service', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE')
    )
    op.create_index('ix_ports_run', 'ports', ['run_id'], unique=False)
    op.create_table('run_systems',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('system_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('computed_level', sa.Integer(), nullable=True),
    sa.Column('declared_level', sa.Integer(), nullable=True),
    sa.Column('required_level', sa.Integer(), nullable=True),
    sa.Column('achieved_level', sa.Integer(), nullable=True),
    sa.Column('deciding', sa.Text(), nullable=False),
    sa.Column('policy_id', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('compliance', sa.Float(), nullable=True),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.Column('failed_by_severity', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE')
    )
    op.create_index('ix_run_systems_run', 'run_systems', ['run_id'], unique=False)
    op.create_index('ix_run_systems_system', 'run_systems', ['system_id', 'run_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_run_systems_system', table_name='run_systems')
    op.drop_index('ix_run_systems_run', table_name='run_systems')
    op.drop_table('run_systems')
    op.drop_index('ix_ports_run', table_name='ports')
    op.drop_table('ports')
    op.drop_index('ix_port_scans_run', table_name='port_scans')
    op.drop_table('port_scans')
    op.drop_index('ix_findings_run', table_name='findings')
    op.drop_index('ix_findings_identity', table_name='findings')
    op.drop_table('findings')
    op.drop_index('ix_certificates_run', table_name='certificates')
    op.drop_index('ix_certificates_not_after', table_name='certificates')
    op.drop_table('certificates')
    op.drop_index('ix_runs_started', table_name='runs')
    op.drop_index('ix_runs_scope_started', table_name='runs')
    op.drop_table('runs')
