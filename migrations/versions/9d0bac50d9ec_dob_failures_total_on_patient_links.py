"""patient links count every wrong date of birth (ten lock the link until a new one is sent)

Existing links start at 0.

Revision ID: 9d0bac50d9ec
Revises: a09a4c5f516c
Create Date: 2026-12-01 23:51:37.943109

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d0bac50d9ec'
down_revision = 'a09a4c5f516c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patient_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dob_failures_total', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('patient_links', schema=None) as batch_op:
        batch_op.drop_column('dob_failures_total')
