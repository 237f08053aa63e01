"""reschedule: where it moved from, why, who; time answers asked again

A move to another day voids a clearance and asks the patient again for the answers tied to the
old day (last food, last drink); the submission keeps when that happened until the next submit.

Revision ID: d7f3f97de162
Revises: a96aff772539
Create Date: 2026-12-01 23:51:02.508280

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7f3f97de162'
down_revision = 'a96aff772539'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moved_from_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('move_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('moved_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appointments_moved_by_id_users'), 'users', ['moved_by_id'], ['id'])

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_answers_reopened_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('time_answers_reopened_at')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointments_moved_by_id_users'), type_='foreignkey')
        batch_op.drop_column('moved_by_id')
        batch_op.drop_column('move_reason')
        batch_op.drop_column('moved_from_at')
