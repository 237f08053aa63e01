"""schedule import: external ids, session type and clinician, import mappings

Appointments and patients keep their ids in the practice-management system (a re-import finds
them by these); appointments gain the session type and who runs it; a clinic keeps a mapping of
each system's column names.

Revision ID: a09a4c5f516c
Revises: ab3984fdbb99
Create Date: 2026-12-01 22:52:26.886316

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a09a4c5f516c'
down_revision = 'ab3984fdbb99'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('date_order', sa.String(length=8), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_mappings')),
    sa.UniqueConstraint('name', name=op.f('uq_import_mappings_name'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('session_type', sa.String(length=80), server_default='', nullable=False))
        batch_op.add_column(sa.Column('clinician_name', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('clinician_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_appointments_external_id'), ['external_id'])
        batch_op.create_foreign_key(batch_op.f('fk_appointments_clinician_id_users'), 'users', ['clinician_id'], ['id'])

    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_patients_external_id'), ['external_id'])



def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_patients_external_id'), type_='unique')
        batch_op.drop_column('language')
        batch_op.drop_column('external_id')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointments_clinician_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_appointments_external_id'), type_='unique')
        batch_op.drop_column('clinician_id')
        batch_op.drop_column('clinician_name')
        batch_op.drop_column('session_type')
        batch_op.drop_column('external_id')

    op.drop_table('import_mappings')
