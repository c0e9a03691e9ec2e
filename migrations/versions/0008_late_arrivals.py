"""late arrivals: a present record may be late (a tardy), with the minutes after the start

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attendance_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("minutes_late", sa.Integer(), nullable=True))
    with op.batch_alter_table("attendance_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("attendance_events", schema=None) as batch_op:
        batch_op.drop_column("late")
    with op.batch_alter_table("attendance_records", schema=None) as batch_op:
        batch_op.drop_column("minutes_late")
        batch_op.drop_column("late")
