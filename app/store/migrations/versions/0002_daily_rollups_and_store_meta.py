"""daily rollups, store meta, violations instead of every verdict

Only failed verdicts keep a row (table violations, with the call's own verdict); the others
live in the stored result and the rollups' counts. The rollups of calls stored before this
revision are counted when the service starts: app.store.daily.ensure_zone finds no time zone
recorded in store_meta and recounts them from the stored results. A downgrade brings back
rule_results with the failed verdicts only.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:13:35.191015
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
    op.create_table('violations',
    sa.Column('call_id', sa.String(length=200), nullable=False),
    sa.Column('rule_id', sa.String(length=50), nullable=False),
    sa.Column('deduction', sa.Float(), nullable=False),
    sa.Column('hit_count', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.String(length=200), nullable=True),
    sa.Column('team_id', sa.String(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('call_passed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.call_id'], name=op.f('fk_violations_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', 'rule_id', name=op.f('pk_violations'))
    )
    with op.batch_alter_table('violations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_violations_rule_id_call_id'), ['rule_id', 'call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_violations_rule_id_call_passed'), ['rule_id', 'call_passed'], unique=False)

    op.execute("INSERT INTO violations (call_id, rule_id, deduction, hit_count, agent_id, team_id, started_at, "
               "call_passed) SELECT r.call_id, r.rule_id, r.deduction, r.hit_count, r.agent_id, r.team_id, "
               "r.started_at, c.passed FROM rule_results r JOIN calls c ON c.call_id = r.call_id "
               "WHERE r.status = 'failed'")
    with op.batch_alter_table('rule_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_results_agent_id_rule_id_status'))
        batch_op.drop_index(batch_op.f('ix_rule_results_rule_id_status_call_id'))

    op.drop_table('rule_results')
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hits_rule_id_started_at'))
        batch_op.create_index(batch_op.f('ix_hits_phrase_started_at_call_id'), ['phrase', 'started_at', 'call_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hits_phrase_started_at_call_id'))
        batch_op.create_index(batch_op.f('ix_hits_rule_id_started_at'), ['rule_id', 'started_at'], unique=False)

    op.create_table('rule_results',
    sa.Column('call_id', sa.VARCHAR(length=200), nullable=False),
    sa.Column('rule_id', sa.VARCHAR(length=50), nullable=False),
    sa.Column('status', sa.VARCHAR(length=16), nullable=False),
    sa.Column('deduction', sa.FLOAT(), nullable=False),
    sa.Column('hit_count', sa.INTEGER(), nullable=False),
    sa.Column('agent_id', sa.VARCHAR(length=200), nullable=True),
    sa.Column('team_id', sa.VARCHAR(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.call_id'], name=op.f('fk_rule_results_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', 'rule_id', name=op.f('pk_rule_results'))
    )
    with op.batch_alter_table('rule_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_results_rule_id_status_call_id'), ['rule_id', 'status', 'call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_results_agent_id_rule_id_status'), ['agent_id', 'rule_id', 'status'], unique=False)

    op.execute("INSERT INTO rule_results (call_id, rule_id, status, deduction, hit_count, agent_id, team_id, "
               "started_at) SELECT call_id, rule_id, 'failed', deduction, hit_count, agent_id, team_id, started_at "
               "FROM violations")
    with op.batch_alter_table('violations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_violations_rule_id_call_passed'))
        batch_op.drop_index(batch_op.f('ix_violations_rule_id_call_id'))

    op.drop_table('violations')
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
