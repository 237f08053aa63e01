"""checklist items and sections carry their patient-facing words in other languages; the
default checklist's versions already in the database get its Spanish

Each item's ``translations`` is {"es": {"label", "help_text", "options": {value: label}}}; each
section in a version's ``sections`` gains {"translations": {"es": {"title", "intro"}}}. Only
words whose English is still the default checklist's get its Spanish (a clinic's own wording
keeps English until someone translates it). Downgrade drops them.

Revision ID: f1a2b3c4d5e6
Revises: e5c0d4a1b7f2
Create Date: 2026-12-02 08:00:00

"""
from alembic import op
import sqlalchemy as sa

from prep_app import default_checklist


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d5e6'
down_revision = 'e5c0d4a1b7f2'
branch_labels = None
depends_on = None

checklists = sa.table('checklists', sa.column('id', sa.Integer), sa.column('key', sa.String))
versions = sa.table('checklist_versions', sa.column('id', sa.Integer),
                    sa.column('checklist_id', sa.Integer), sa.column('sections', sa.JSON))
items = sa.table('checklist_items', sa.column('id', sa.Integer),
                 sa.column('version_id', sa.Integer), sa.column('key', sa.String),
                 sa.column('label', sa.String), sa.column('help_text', sa.Text),
                 sa.column('options', sa.JSON), sa.column('translations', sa.JSON))

# The day-of section's intro as it was before it became three pages, in Spanish too.
FORMER = {("dayof", "intro"): (
    "These answers help your care team keep you safe. There are no wrong answers: if something "
    "applies to you, we will simply plan around it.",
    "Estas respuestas ayudan a su equipo de atención a cuidarlo. No hay respuestas malas: si "
    "algo tiene que ver con usted, lo vamos a tener en cuenta.")}


def _same_words(english: dict, spanish: dict, stored: dict, key: str) -> dict:
    """The Spanish of each field whose stored English is the default's (or a former one)."""
    kept = {}
    for field, words in spanish.items():
        if field == 'options':
            options = {value: label for value, label in stored.get('options') or []}
            default = {value: label for value, label in english.get('options') or []}
            kept['options'] = {value: words[value] for value in words
                               if value in options and options[value] == default.get(value)}
            if not kept['options']:
                del kept['options']
        elif (stored.get(field) or '') == (english.get(field) or ''):
            kept[field] = words
        elif FORMER.get((key, field), (None,))[0] == stored.get(field):
            kept[field] = FORMER[key, field][1]
    return kept


def upgrade():
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))
    bind = op.get_bind()
    version_rows = bind.execute(
        sa.select(versions.c.id, versions.c.sections)
        .join(checklists, checklists.c.id == versions.c.checklist_id)
        .where(checklists.c.key == default_checklist.KEY)).all()
    english_items = {spec['key']: spec for spec in default_checklist.ITEMS}
    english_sections = {s['key']: s for s in default_checklist.SECTIONS}
    for version_id, sections in version_rows:
        sections = [dict(s) for s in sections or []]
        for section in sections:
            translations = {}
            for language, words in default_checklist.TRANSLATIONS.items():
                spanish = words['sections'].get(section['key'])
                english = english_sections.get(section['key'])
                if spanish and english:
                    kept = _same_words(english, spanish, section, section['key'])
                    if kept:
                        translations[language] = kept
            if translations:
                section['translations'] = translations
        bind.execute(versions.update().where(versions.c.id == version_id)
                     .values(sections=sections))
        for row in bind.execute(sa.select(items).where(items.c.version_id == version_id)).all():
            stored = {'label': row.label, 'help_text': row.help_text, 'options': row.options}
            translations = {}
            for language, words in default_checklist.TRANSLATIONS.items():
                spanish = words['items'].get(row.key)
                english = english_items.get(row.key)
                if spanish and english:
                    kept = _same_words(english, spanish, stored, row.key)
                    if kept:
                        translations[language] = kept
            if translations:
                bind.execute(items.update().where(items.c.id == row.id)
                             .values(translations=translations))


def downgrade():
    bind = op.get_bind()
    for version_id, sections in bind.execute(sa.select(versions.c.id, versions.c.sections)).all():
        bare = [{k: v for k, v in s.items() if k != 'translations'} for s in sections or []]
        bind.execute(versions.update().where(versions.c.id == version_id).values(sections=bare))
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.drop_column('translations')
