"""desk note and cancel reason on appointments

The desk's note for the day (with who and when) and why an appointment was cancelled (a short
list: no driver, patient request, clinical, other), both audited when set.

Revision ID: 8318939609b0
Revises: 9e4cfb5bdda7
Create Date: 2026-12-02 00:23:28.979811

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8318939609b0'
down_revision = '9e4cfb5bdda7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_reason', sa.Enum('no_driver', 'patient_request', 'clinical', 'other', name='cancelreason', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('desk_note', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('desk_note_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('desk_note_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appointments_desk_note_by_id_users'), 'users', ['desk_note_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointments_desk_note_by_id_users'), type_='foreignkey')
        batch_op.drop_column('desk_note_at')
        batch_op.drop_column('desk_note_by_id')
        batch_op.drop_column('desk_note')
        batch_op.drop_column('cancel_reason')
