"""presence secrets: sessions that require a rotating presence code (issue 13)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 21:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('presence_secrets',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['class_sessions.id'], name=op.f('fk_presence_secrets_session_id_class_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_presence_secrets'))
    )


def downgrade():
    op.drop_table('presence_secrets')
