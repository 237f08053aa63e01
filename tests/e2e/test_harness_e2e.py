"""The checks every browser test relies on can fail: axe, the 320 px width, the focus ring."""

from __future__ import annotations

import pytest

from .helpers import assert_accessible, assert_focus_visible, scroll_width_at

pytestmark = pytest.mark.e2e

BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title>
<style>.wide { width: 600px; } input:focus { outline: none; }</style></head>
<body><main><h1>Broken</h1><input id="nameless"><div class="wide">too wide</div></main></body>
</html>"""


def test_the_checks_catch_a_missing_label_a_wide_page_and_a_hidden_focus(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.set_content(BROKEN)
        with pytest.raises(AssertionError, match=r"(?s)label .*#nameless"):
            assert_accessible(page, "a broken page")
        assert assert_accessible(page, "a broken page", known={"label": "shown elsewhere"})
        assert scroll_width_at(page) > 320
        page.keyboard.press("Tab")
        with pytest.raises(AssertionError, match="no visible outline"):
            assert_focus_visible(page)
    finally:
        context.close()
