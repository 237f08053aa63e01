"""check-in: who checked in, who confirmed a clinician knows

A patient checked in with an open flag or no driver named keeps their readiness; the desk
confirms that a clinician knows, and who confirmed is stored here (and audited).

Revision ID: a96aff772539
Revises: 9d0bac50d9ec
Create Date: 2026-12-01 22:51:34.062136

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a96aff772539'
down_revision = '9d0bac50d9ec'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_in_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('clinician_knows_confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appointments_clinician_knows_confirmed_by_id_users'), 'users', ['clinician_knows_confirmed_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_appointments_checked_in_by_id_users'), 'users', ['checked_in_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointments_checked_in_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_appointments_clinician_knows_confirmed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('clinician_knows_confirmed_by_id')
        batch_op.drop_column('checked_in_by_id')
