"""daily rollups, store meta, and each verdict's call verdict

The rollups of calls stored before this revision are counted when the service starts
(app.store.daily.ensure_zone finds no time zone recorded in store_meta and recounts).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:49:09.922262
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('daily_calls',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('team_id', sa.String(length=200), nullable=False),
    sa.Column('agent_id', sa.String(length=200), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'team_id', 'agent_id', name=op.f('pk_daily_calls'))
    )
    with op.batch_alter_table('daily_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_calls_agent_id_day'), ['agent_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_daily_calls_team_id_day'), ['team_id', 'day'], unique=False)

    op.create_table('daily_phrases',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rule_id', sa.String(length=50), nullable=False),
    sa.Column('phrase', sa.Text(), nullable=False),
    sa.Column('team_id', sa.String(length=200), nullable=False),
    sa.Column('agent_id', sa.String(length=200), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'rule_id', 'phrase', 'team_id', 'agent_id', name=op.f('pk_daily_phrases'))
    )
    with op.batch_alter_table('daily_phrases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_phrases_agent_id_day'), ['agent_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_daily_phrases_team_id_day'), ['team_id', 'day'], unique=False)

    op.create_table('daily_rules',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rule_id', sa.String(length=50), nullable=False),
    sa.Column('team_id', sa.String(length=200), nullable=False),
    sa.Column('agent_id', sa.String(length=200), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('applicable', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'rule_id', 'team_id', 'agent_id', name=op.f('pk_daily_rules'))
    )
    with op.batch_alter_table('daily_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_rules_agent_id_day'), ['agent_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_daily_rules_team_id_day'), ['team_id', 'day'], unique=False)

    op.create_table('store_meta',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_store_meta'))
    )
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hits_phrase_started_at_call_id'), ['phrase', 'started_at', 'call_id'], unique=False)

    with op.batch_alter_table('rule_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_passed', sa.Boolean(), nullable=True))
    op.execute("UPDATE rule_results SET call_passed = "
               "(SELECT calls.passed FROM calls WHERE calls.call_id = rule_results.call_id)")
    with op.batch_alter_table('rule_results', schema=None) as batch_op:
        batch_op.alter_column('call_passed', existing_type=sa.Boolean(), nullable=False)
        batch_op.create_index(batch_op.f('ix_rule_results_rule_id_status_call_passed'), ['rule_id', 'status', 'call_passed'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rule_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_results_rule_id_status_call_passed'))
        batch_op.drop_column('call_passed')

    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hits_phrase_started_at_call_id'))

    op.drop_table('store_meta')
    with op.batch_alter_table('daily_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_daily_rules_team_id_day'))
        batch_op.drop_index(batch_op.f('ix_daily_rules_agent_id_day'))

    op.drop_table('daily_rules')
    with op.batch_alter_table('daily_phrases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_daily_phrases_team_id_day'))
        batch_op.drop_index(batch_op.f('ix_daily_phrases_agent_id_day'))

    op.drop_table('daily_phrases')
    with op.batch_alter_table('daily_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_daily_calls_team_id_day'))
        batch_op.drop_index(batch_op.f('ix_daily_calls_agent_id_day'))

    op.drop_table('daily_calls')
