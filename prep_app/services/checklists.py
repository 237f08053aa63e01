"""Checklists as data: installing the default, finding the current version, its rules."""

from __future__ import annotations

from sqlalchemy import select

from .. import default_checklist
from ..extensions import db
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
                               sections=default_checklist.SECTIONS)
    for position, spec in enumerate(default_checklist.ITEMS, start=1):
        version.items.append(ChecklistItem(
            key=spec["key"], section=spec["section"], position=position, label=spec["label"],
            help_text=spec.get("help_text", ""), kind=ItemKind(spec["kind"]),
            options=spec.get("options"), is_required=spec.get("is_required", True),
            is_blocking=spec.get("is_blocking", False),
            flag_rule=FlagRule(spec.get("flag_rule", "none")), show_if=spec.get("show_if"),
            staff_label=spec.get("staff_label", ""),
        ))
    db.session.add(version)
    db.session.flush()
    return version, True


def current_version() -> ChecklistVersion:
    version = db.session.scalar(
        select(ChecklistVersion).where(ChecklistVersion.is_current.is_(True))
        .order_by(ChecklistVersion.id.desc()).limit(1))
    if version is None:
        raise LookupError("No checklist is installed: run `flask checklist install`.")
    return version


def rules(items: list[ChecklistItem]) -> list[ItemRule]:
    return [ItemRule(key=i.key, kind=str(i.kind), staff_label=i.staff_label,
                     is_blocking=i.is_blocking, flag_rule=str(i.flag_rule), show_if=i.show_if)
            for i in items]


def section_items(version: ChecklistVersion, section: str) -> list[ChecklistItem]:
    return [i for i in version.items if i.section == section]
