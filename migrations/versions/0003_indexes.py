"""indexes for statistics and listings at school scale

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:10:00

The query plans that motivated them are in the README's Performance section (python -m bench.explain).
The other lookups the statistics make already have an index from 0001: sessions by teacher
(uq_class_sessions_teacher_slot), records by session (uq_attendance_records_session_student),
records by student (ix_attendance_records_student_id), tokens by digest (uq_tokens_digest).
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('class_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_class_sessions_teacher_id_starts_at', ['teacher_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_class_sessions_starts_at', ['starts_at'], unique=False)


def downgrade():
    with op.batch_alter_table('class_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_class_sessions_starts_at')
        batch_op.drop_index('ix_class_sessions_teacher_id_starts_at')
