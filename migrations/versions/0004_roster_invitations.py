"""roster invitations and the roster audit trail

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 21:40:00

roster_invitations: roster emails with no student account yet (they join on registration).
roster_events: who added, invited, removed whom; apart from attendance_events because a removed
record is deleted, and its attendance events with it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('roster_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['class_sessions.id'], name=op.f('fk_roster_invitations_session_id_class_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_invitations')),
    sa.UniqueConstraint('session_id', 'email', name='uq_roster_invitations_session_email')
    )
    with op.batch_alter_table('roster_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_invitations_email'), ['email'], unique=False)

    op.create_table('roster_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("action IN ('added', 'invited', 'joined', 'removed', 'uninvited')", name=op.f('ck_roster_events_action')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_roster_events_actor_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['class_sessions.id'], name=op.f('fk_roster_events_session_id_class_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_events'))
    )
    with op.batch_alter_table('roster_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_events_session_id'), ['session_id'], unique=False)


def downgrade():
    with op.batch_alter_table('roster_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_events_session_id'))
    op.drop_table('roster_events')
    with op.batch_alter_table('roster_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_invitations_email'))
    op.drop_table('roster_invitations')
