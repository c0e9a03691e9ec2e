"""privacy and trust: an admin role, account status, how a face was enrolled, the audit log

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), 'role IN (0, 1, 2)')
        batch_op.create_check_constraint(
            op.f('ck_users_status'), "status IN ('active', 'pending_approval', 'suspended', 'erased')")
    with op.batch_alter_table('face_encodings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='enrollment', nullable=False))
        batch_op.create_check_constraint(op.f('ck_face_encodings_source'), "source IN ('enrollment', 'add_face')")
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('distance', sa.Float(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subject_id'], ['users.id'], name=op.f('fk_audit_log_subject_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['class_sessions.id'], name=op.f('fk_audit_log_session_id_class_sessions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_log_subject_id_at', ['subject_id', 'at'], unique=False)


def downgrade():
    op.drop_table('audit_log')
    with op.batch_alter_table('face_encodings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_face_encodings_source'), type_='check')
        batch_op.drop_column('source')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), 'role IN (0, 1)')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('status')
