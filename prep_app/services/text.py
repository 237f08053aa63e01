"""Cleaning what people type before it is stored."""


def clean(value: str | None) -> str:
    """Drop control characters (PostgreSQL refuses NUL; none belong in a form) and trim."""
    value = "".join(ch for ch in (value or "") if ch in "\n\t" or ch.isprintable())
    return value.replace("\r", "").strip()
