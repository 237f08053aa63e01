"""closing the day: no-show, left with whom and when, ready on arrival

A session whose time has passed is marked a no-show, or the patient left with someone at a
time (who recorded it is kept); check-in keeps whether a clinician had cleared the patient.
Existing rows: nothing known, so every new column starts empty.

Revision ID: e5c0d4a1b7f2
Revises: b3d4e19e6555
Create Date: 2026-12-02 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5c0d4a1b7f2'
down_revision = 'b3d4e19e6555'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_show_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('left_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('left_with', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ready_on_arrival', sa.Boolean(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appointments_closed_by_id_users'), 'users',
                                    ['closed_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointments_closed_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('ready_on_arrival')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('left_with')
        batch_op.drop_column('left_at')
        batch_op.drop_column('no_show_at')
