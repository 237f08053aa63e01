"""Checklists as data: installing the default, finding the current version, its rules.

A published version never changes (a change publishes a new version), so each process keeps a
frozen copy of every version it has read: the patient's pages then need no query for items.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from flask import current_app
from sqlalchemy import select

from .. import default_checklist
from ..extensions import db
from ..languages import DEFAULT as DEFAULT_LANGUAGE
from ..models import Checklist, ChecklistItem, ChecklistVersion, FlagRule, ItemKind
from ..readiness import ItemRule


def install_default() -> tuple[ChecklistVersion, bool]:
    """Install the default checklist unless it is there already. Returns (version, created)."""
    checklist = db.session.scalar(select(Checklist).filter_by(key=default_checklist.KEY))
    if checklist is not None and checklist.versions:
        return current_version(), False
    if checklist is None:
        checklist = Checklist(key=default_checklist.KEY, name=default_checklist.NAME)
        db.session.add(checklist)
    version = ChecklistVersion(checklist=checklist, number=1, is_current=True,
                               sections=default_checklist.sections_with_translations())
    for position, spec in enumerate(default_checklist.ITEMS, start=1):
        version.items.append(ChecklistItem(
            key=spec["key"], section=spec["section"], position=position, label=spec["label"],
            help_text=spec.get("help_text", ""), kind=ItemKind(spec["kind"]),
            options=spec.get("options"), is_required=spec.get("is_required", True),
            is_blocking=spec.get("is_blocking", False),
            flag_rule=FlagRule(spec.get("flag_rule", "none")), show_if=spec.get("show_if"),
            staff_label=spec.get("staff_label", ""),
            translations=default_checklist.item_translations(spec["key"]),
        ))
    db.session.add(version)
    db.session.flush()
    return version, True


@dataclass(frozen=True)
class FrozenItem:
    """A checklist item as plain data (the same attribute names as ChecklistItem)."""

    id: int
    key: str
    section: str
    position: int
    label: str
    help_text: str
    kind: ItemKind
    options: tuple | None
    is_required: bool
    is_blocking: bool
    flag_rule: FlagRule
    show_if: dict | None
    staff_label: str
    # The patient's words in other languages: {"es": {"label", "help_text", "options"}}.
    translations: dict | None = None

    def in_language(self, language: str) -> FrozenItem:
        """The item with its patient-facing words in ``language``, each falling back to the
        English one where it has none (staff words stay English)."""
        words = (self.translations or {}).get(language) or {}
        options = self.options
        if options and words.get("options"):
            options = tuple((value, words["options"].get(value) or label)
                            for value, label in options)
        return replace(self, label=words.get("label") or self.label,
                       help_text=words.get("help_text") or self.help_text, options=options)


def section_in_language(section: dict, language: str) -> dict:
    """A section ({"key", "title", "intro", "translations"}) with its words in ``language``."""
    words = (section.get("translations") or {}).get(language) or {}
    return {**section, "title": words.get("title") or section["title"],
            "intro": words.get("intro") or section.get("intro", "")}


@dataclass(frozen=True)
class FrozenVersion:
    id: int
    number: int
    sections: tuple[dict, ...]  # only the sections that have items, in order
    items: tuple[FrozenItem, ...]

    @cached_property
    def rules(self) -> dict[str, ItemRule]:
        return {rule.key: rule for rule in rules(self.items)}

    @cached_property
    def items_by_key(self) -> dict[str, FrozenItem]:
        return {item.key: item for item in self.items}

    @cached_property
    def key_by_id(self) -> dict[int, str]:
        return {item.id: item.key for item in self.items}


def frozen(version_id: int, language: str = DEFAULT_LANGUAGE) -> FrozenVersion:
    """The version as plain data, read once per process (per app, so tests stay apart), with
    its patient-facing words in ``language`` (English where an item has no translation)."""
    cache = current_app.extensions.setdefault("prep_checklist_versions", {})
    if language != DEFAULT_LANGUAGE:
        if (version_id, language) not in cache:
            english = frozen(version_id)
            cache[version_id, language] = replace(
                english, items=tuple(item.in_language(language) for item in english.items),
                sections=tuple(section_in_language(s, language) for s in english.sections))
        return cache[version_id, language]
    if version_id not in cache:
        version = db.session.get(ChecklistVersion, version_id)
        if version is None:
            raise LookupError(f"checklist version {version_id} does not exist")
        items = tuple(FrozenItem(
            id=i.id, key=i.key, section=i.section, position=i.position, label=i.label,
            help_text=i.help_text or "", kind=ItemKind(i.kind),
            options=tuple(tuple(o) for o in i.options) if i.options else None,
            is_required=i.is_required, is_blocking=i.is_blocking, flag_rule=FlagRule(i.flag_rule),
            show_if=dict(i.show_if) if i.show_if else None, staff_label=i.staff_label or "",
            translations=dict(i.translations) if i.translations else None,
        ) for i in version.items)
        present = {item.section for item in items}
        sections = tuple(dict(s) for s in version.sections if s["key"] in present)
        cache[version_id] = FrozenVersion(version.id, version.number, sections, items)
    return cache[version_id]


def current_version_id() -> int:
    version_id = db.session.scalar(
        select(ChecklistVersion.id).where(ChecklistVersion.is_current.is_(True))
        .order_by(ChecklistVersion.id.desc()).limit(1))
    if version_id is None:
        raise LookupError("No checklist is installed: run `flask checklist install`.")
    return version_id


def current_version() -> ChecklistVersion:
    version = db.session.scalar(
        select(ChecklistVersion).where(ChecklistVersion.is_current.is_(True))
        .order_by(ChecklistVersion.id.desc()).limit(1))
    if version is None:
        raise LookupError("No checklist is installed: run `flask checklist install`.")
    return version


def rules(items) -> list[ItemRule]:
    return [ItemRule(key=i.key, kind=str(i.kind), staff_label=i.staff_label,
                     is_blocking=i.is_blocking, flag_rule=str(i.flag_rule), show_if=i.show_if,
                     section=i.section)
            for i in items]


def section_items(version, section: str) -> list:
    return [i for i in version.items if i.section == section]
