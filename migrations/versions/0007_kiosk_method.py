"""kiosk check-in: a record (and its event) may be marked by the door kiosk

Revision ID: 0007
Revises: 0006
"""
from alembic import op


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (table, its method check constraint)
TABLES = (("attendance_records", "ck_attendance_records_method"),
          ("attendance_events", "ck_attendance_events_method"))


def _allow(methods):
    condition = "method IN (" + ", ".join(f"'{m}'" for m in methods) + ")"
    for table, constraint in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(constraint), type_='check')
            batch_op.create_check_constraint(op.f(constraint), condition)


def upgrade():
    _allow(("selfie", "photo", "manual", "kiosk"))


def downgrade():
    # A kiosk marking is a recognition like a class photo's: it reads as one once kiosks are gone.
    for table, _ in TABLES:
        op.execute(f"UPDATE {table} SET method = 'photo' WHERE method = 'kiosk'")
    _allow(("selfie", "photo", "manual"))
