"""Cleaning what people type before it is stored."""


def clean(value: str | None) -> str:
    """Drop control characters (PostgreSQL refuses NUL; none belong in a form) and trim."""
    value = "".join(ch for ch in (value or "") if ch in "\n\t" or ch.isprintable())
    return value.replace("\r", "").strip()


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A value for a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    cell = "" if value is None else str(value)
    return "'" + cell if cell.startswith(FORMULA_START) else cell
