"""morning-of check: the clinic's setting and hour, the patient's answers

Revision ID: a5e64fe8506f
Revises: 7ceeb355b81e
Create Date: 2026-12-02 07:49:27.495255

Existing clinics start with the check off (at 07:00), appointments with no answers.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5e64fe8506f'
down_revision = '7ceeb355b81e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('morning_check', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('morning_checked_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_morning_check_on', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('morning_check_hour', sa.Integer(), server_default='7', nullable=False))



def downgrade():
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.drop_column('morning_check_hour')
        batch_op.drop_column('is_morning_check_on')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('morning_checked_at')
        batch_op.drop_column('morning_check')
