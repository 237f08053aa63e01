"""``flask schedule ...``: the schedule from the practice-management system."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from .common import unit_of_work

schedule_cli = AppGroup("schedule", help="The schedule from the practice-management system.")


@schedule_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--mapping", "mapping_name", default=None,
              help="The saved column mapping of the system the file comes from.")
@click.option("--same-as", "same_as", multiple=True, metavar="ROW=PATIENT",
              help="A likely duplicate is this patient, e.g. --same-as 3=12: row 3 is booked "
                   "for patient #12 instead of a new patient (again for each row).")
@click.option("--dry-run", is_flag=True, help="Check the file and say what would change; "
                                              "write nothing.")
@click.option("--location", "location_name", default=None,
              help="The location of the rows that name none (needed when the clinic has "
                   "several and the file has no location column).")
def schedule_import(file, mapping_name: str | None, same_as: tuple[str, ...], dry_run: bool,
                    location_name: str | None):
    """Import bookings from a CSV file (every row is checked first; any problem writes
    nothing)."""
    from ..services import imports, locations

    data = file.read(imports.MAX_BYTES + 1)
    with unit_of_work(write=not dry_run):
        location = locations.for_booking(location_name) if location_name else None
        plan = imports.run(data, mapping=_mapping(mapping_name), same_as=_decisions(same_as),
                           dry_run=dry_run, location=location)
        lines = [f"Check: {note}" for note in plan.duplicates]
        if any(not duplicate.is_chosen for duplicate in plan.duplicates):
            lines.append("If one of them is the same person, import with --same-as ROW=PATIENT "
                         "(for example --same-as 2=1) to book that row for them.")
        if plan.ignored_columns:
            lines.append("Columns not used: " + ", ".join(plan.ignored_columns))
        if not plan.is_ok:
            for problem in plan.problems:
                click.echo(str(problem), err=True)
            raise click.ClickException(f"Nothing was imported: {len(plan.problems)} problem"
                                       f"{'' if len(plan.problems) == 1 else 's'} to fix first.")
        if dry_run:
            lines.append(f"Dry run, nothing was written. The import would give: {plan.summary()}.")
        else:
            lines.append(f"Imported: {plan.summary()}.")
    click.echo("\n".join(lines))


def _mapping(name: str | None):
    from ..models import ImportMapping
    from ..services import imports

    if name is None:
        return None
    saved = db.session.scalar(select(ImportMapping).filter_by(name=name))
    if saved is None:
        raise click.ClickException(f"There is no saved mapping called {name!r}.")
    return imports.Mapping.of(saved)


def _decisions(pairs: tuple[str, ...]) -> dict[int, int]:
    decided = {}
    for pair in pairs:
        row, _, patient = pair.partition("=")
        if not (row.isdecimal() and patient.isdecimal()):
            raise click.BadParameter(f"{pair!r} is not ROW=PATIENT, like 3=12.",
                                     param_hint="--same-as")
        decided[int(row)] = int(patient)
    return decided
