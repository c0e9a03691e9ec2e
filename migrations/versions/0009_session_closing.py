"""sessions close themselves: a session's closing time, and records marked absent by it (method auto)

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_attendance_records_method"


def _allow(methods):
    with op.batch_alter_table("attendance_records", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CONSTRAINT), type_="check")
        batch_op.create_check_constraint(op.f(CONSTRAINT), "method IN (" + ", ".join(f"'{m}'" for m in methods) + ")")


def upgrade():
    with op.batch_alter_table("class_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
    _allow(("selfie", "photo", "manual", "kiosk", "auto"))


def downgrade():
    # An absence the closing job wrote reads as a teacher's own marking once the job is gone.
    op.execute("UPDATE attendance_records SET method = 'manual' WHERE method = 'auto'")
    _allow(("selfie", "photo", "manual", "kiosk"))
    with op.batch_alter_table("class_sessions", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
