"""locations: each appointment at one of the clinic's sites

A location has a name, address, phone, time zone and fasting hours (the phone, time zone and
fasting hours move here from the clinic's settings). The clinic's settings become its first
location and every appointment is at it, so a clinic with one location sees no difference; then
``location_id`` is required.

Revision ID: 7ceeb355b81e
Revises: 87105976e9db
Create Date: 2026-12-02 06:53:07.561920

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7ceeb355b81e'
down_revision = '87105976e9db'
branch_labels = None
depends_on = None

# What the clinic's settings held before anyone changed them (models.ClinicSettings).
DEFAULTS = {"name": "Cedar City Ketamine Clinic", "phone": "(435) 555-0100",
            "timezone": "America/Denver", "country": "US", "solid_fast_hours": 6,
            "clear_fast_hours": 2, "arrive_early_minutes": 15, "session_minutes": 60,
            "link_grace_hours": 24, "is_dob_check_on": True, "idle_timeout_minutes": 15}


def upgrade():
    op.create_table('locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('solid_fast_hours', sa.Integer(), nullable=False),
    sa.Column('clear_fast_hours', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic_settings.id'], name=op.f('fk_locations_clinic_id_clinic_settings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('name', name=op.f('uq_locations_name'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_id', sa.Integer(), nullable=True))

    bind = op.get_bind()
    clinic = bind.execute(sa.text(
        "SELECT name, phone, timezone, solid_fast_hours, clear_fast_hours "
        "FROM clinic_settings WHERE id = 1")).mappings().first()
    has_appointments = bind.execute(sa.text("SELECT 1 FROM appointments LIMIT 1")).first()
    now = datetime.now(UTC).replace(tzinfo=None) if bind.dialect.name == "sqlite" else \
        datetime.now(UTC)
    if clinic is None and has_appointments:
        # Nobody ever opened a page (the app writes the settings then): the defaults it would.
        settings = sa.table("clinic_settings", *(sa.column(c) for c in (
            "id", *DEFAULTS, "updated_at", "version")))
        op.bulk_insert(settings, [{"id": 1, **DEFAULTS, "updated_at": now, "version": 1}])
        clinic = DEFAULTS
    if clinic is not None:
        # A fresh database gets its location from the app, with its settings row.
        locations = sa.table("locations", *(sa.column(c) for c in (
            "id", "clinic_id", "name", "address", "phone", "timezone", "solid_fast_hours",
            "clear_fast_hours", "updated_at", "version")))
        op.bulk_insert(locations, [{
            "id": 1, "clinic_id": 1, "name": clinic["name"], "address": "",
            "phone": clinic["phone"], "timezone": clinic["timezone"],
            "solid_fast_hours": clinic["solid_fast_hours"],
            "clear_fast_hours": clinic["clear_fast_hours"], "updated_at": now, "version": 1}])
        if bind.dialect.name == "postgresql":  # the id was given: move the sequence past it
            bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('locations', 'id'), 1)"))
        bind.execute(sa.text("UPDATE appointments SET location_id = 1"))

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.alter_column('location_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_appointments_location_id'), ['location_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_appointments_location_id_locations'), 'locations', ['location_id'], ['id'])

    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.drop_column('clear_fast_hours')
        batch_op.drop_column('solid_fast_hours')
        batch_op.drop_column('timezone')
        batch_op.drop_column('phone')


def downgrade():
    # The phone, time zone and fasting hours go back to the settings, from the first location.
    moved = {"phone": (sa.String(length=40), DEFAULTS["phone"]),
             "timezone": (sa.String(length=64), DEFAULTS["timezone"]),
             "solid_fast_hours": (sa.Integer(), DEFAULTS["solid_fast_hours"]),
             "clear_fast_hours": (sa.Integer(), DEFAULTS["clear_fast_hours"])}
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        for name, (kind, default) in moved.items():
            batch_op.add_column(sa.Column(name, kind, nullable=False,
                                          server_default=str(default)))
    op.execute("UPDATE clinic_settings SET " + ", ".join(
        f"{name} = coalesce((SELECT {name} FROM locations ORDER BY id LIMIT 1), {name})"
        for name in moved))
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        for name in moved:
            batch_op.alter_column(name, server_default=None)

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointments_location_id_locations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_appointments_location_id'))
        batch_op.drop_column('location_id')

    op.drop_table('locations')
