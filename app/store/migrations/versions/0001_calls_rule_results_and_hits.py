"""calls, rule results and hits

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 23:37:59.023402
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calls',
    sa.Column('call_id', sa.String(length=200), nullable=False),
    sa.Column('agent_id', sa.String(length=200), nullable=True),
    sa.Column('team_id', sa.String(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('direction', sa.String(length=16), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('lexicon_version', sa.String(length=80), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('transcript', sa.Text(), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('call_id', name=op.f('pk_calls'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_agent_id_started_at'), ['agent_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_score_call_id'), ['score', 'call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_started_at_call_id'), ['started_at', 'call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_team_id_started_at'), ['team_id', 'started_at'], unique=False)

    op.create_table('hits',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.String(length=200), nullable=False),
    sa.Column('rule_id', sa.String(length=50), nullable=False),
    sa.Column('phrase', sa.Text(), nullable=False),
    sa.Column('matched', sa.Text(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('utterance_index', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.String(length=200), nullable=True),
    sa.Column('team_id', sa.String(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.call_id'], name=op.f('fk_hits_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hits'))
    )
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hits_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hits_phrase_call_id'), ['phrase', 'call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hits_rule_id_started_at'), ['rule_id', 'started_at'], unique=False)

    op.create_table('rule_results',
    sa.Column('call_id', sa.String(length=200), nullable=False),
    sa.Column('rule_id', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('deduction', sa.Float(), nullable=False),
    sa.Column('hit_count', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.String(length=200), nullable=True),
    sa.Column('team_id', sa.String(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.call_id'], name=op.f('fk_rule_results_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', 'rule_id', name=op.f('pk_rule_results'))
    )
    with op.batch_alter_table('rule_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_results_agent_id_rule_id_status'), ['agent_id', 'rule_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_results_rule_id_status_call_id'), ['rule_id', 'status', 'call_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rule_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_results_rule_id_status_call_id'))
        batch_op.drop_index(batch_op.f('ix_rule_results_agent_id_rule_id_status'))

    op.drop_table('rule_results')
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hits_rule_id_started_at'))
        batch_op.drop_index(batch_op.f('ix_hits_phrase_call_id'))
        batch_op.drop_index(batch_op.f('ix_hits_call_id'))

    op.drop_table('hits')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_team_id_started_at'))
        batch_op.drop_index(batch_op.f('ix_calls_started_at_call_id'))
        batch_op.drop_index(batch_op.f('ix_calls_score_call_id'))
        batch_op.drop_index(batch_op.f('ix_calls_agent_id_started_at'))

    op.drop_table('calls')
