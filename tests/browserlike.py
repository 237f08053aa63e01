"""A test client that submits forms the way a browser does: it reads the page first and sends
its hidden fields (CSRF token, version, one-time submit key) along with what the person typed;
and the page's tags, for tests that look at one element."""

from __future__ import annotations

from html.parser import HTMLParser

from flask.testing import FlaskClient

from bench.harness import forms_of


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v if v is not None else "" for k, v in attrs}))


def tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def element(html: str, element_id: str) -> tuple[str, dict]:
    found = [t for t in tags(html) if t[1].get("id") == element_id]
    assert len(found) == 1, f"expected one element with id {element_id!r}, found {len(found)}"
    return found[0]


class BrowserClient(FlaskClient):
    def submit(self, url: str, data: dict | None = None, *, page: str | None = None,
               form: int = 0, **kwargs):
        """GET ``page`` (default ``url``), take the hidden fields of its ``form``-th POST form,
        add ``data`` and POST to ``url``. Returns the response."""
        html = self.get(page or url).get_data(as_text=True)
        found = forms_of(html)
        hidden = found[form]["hidden"] if found else {}
        return self.post(url, data={**hidden, **(data or {})}, **kwargs)

    def hidden(self, page: str, form: int = 0) -> dict:
        return forms_of(self.get(page).get_data(as_text=True))[form]["hidden"]
