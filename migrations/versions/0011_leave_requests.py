"""excuses and leave requests: a student asks to be excused from a session, the teacher decides

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "leave_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("teacher_note", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'approved', 'refused')", name=op.f("ck_leave_requests_status")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_leave_requests_decided_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["session_id"], ["class_sessions.id"],
                                name=op.f("fk_leave_requests_session_id_class_sessions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["users.id"], name=op.f("fk_leave_requests_student_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leave_requests")),
        sa.UniqueConstraint("session_id", "student_id", name="uq_leave_requests_session_student"),
    )
    with op.batch_alter_table("leave_requests", schema=None) as batch_op:
        batch_op.create_index("ix_leave_requests_status_session_id", ["status", "session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leave_requests_student_id"), ["student_id"], unique=False)


def downgrade():
    with op.batch_alter_table("leave_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leave_requests_student_id"))
        batch_op.drop_index("ix_leave_requests_status_session_id")
    op.drop_table("leave_requests")
