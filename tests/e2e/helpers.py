"""What every browser test does on every page: a screenshot, axe-core, and (for patients) the
320 px check; plus keyboard helpers that move only the way a keyboard user can."""

from __future__ import annotations

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
# Every page's HTML saved by this run, for the Nu Html Checker (test_valid_html.py, run last).
SAVED_PAGES: list[Path] = []
NARROWEST = 320  # px: the smallest phone the patient pages must fit without sideways scrolling

_axe = Axe()


def axe_report(violations: list[dict]) -> str:
    """axe's findings as a person reads them: the rule, why it matters, and where."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}  [{v['helpUrl']}]")
        for node in v["nodes"]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: "
                         f"{' '.join(node['html'].split())[:200]}")
            summary = " ".join((node.get("failureSummary") or "").split())
            if summary:
                lines.append(f"      {summary[:400]}")
    return "\n".join(lines)


def axe_violations(page) -> list[dict]:
    return _axe.run(page).response["violations"]


def assert_accessible(page, where: str, known: dict[str, str] | None = None) -> list[dict]:
    """Zero axe-core violations on the page as it is now. ``known`` (rule id -> reason) names
    a problem in a template this test does not own: it is left out here and must have its own
    xfail(strict=True) test, so it stays visible. Returns the known violations found."""
    violations = axe_violations(page)
    known = known or {}
    unexpected = [v for v in violations if v["id"] not in known]
    assert not unexpected, (f"axe-core found {len(unexpected)} accessibility problem(s) on "
                            f"{where} ({page.url}):\n{axe_report(unexpected)}")
    return [v for v in violations if v["id"] in known]


def scroll_width_at(page, width: int = NARROWEST) -> int:
    """How wide the page is when the window is ``width`` px wide (then the size is restored)."""
    size = page.viewport_size
    page.set_viewport_size({"width": width, "height": size["height"]})
    try:
        return page.evaluate("() => document.documentElement.scrollWidth")
    finally:
        page.set_viewport_size(size)


class Journey:
    """One test's walk through the app: every page a person arrives at is screenshotted
    (test-artifacts/e2e/<test>/NN-name.png), its HTML saved beside it (NN-name.html, for the
    Nu Html Checker) and checked by axe-core."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        self.shots: dict[str, Path] = {}

    def shot(self, page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        html = path.with_suffix(".html")
        html.write_text(page.content(), encoding="utf-8")
        SAVED_PAGES.append(html)
        self.shots[name] = path
        return path

    def see(self, page, name: str, h1: str, *, narrow: bool = False,
            known: dict[str, str] | None = None) -> None:
        """A person is looking at the page whose main heading is ``h1`` (waited for, so a
        page still loading is never the one checked): screenshot it, run axe on it, and with
        ``narrow`` (the patient's pages) check it does not scroll sideways on a 320 px phone."""
        expect(page.get_by_role("heading", level=1)).to_have_text(h1)
        page.wait_for_load_state()
        self.shot(page, name)
        assert_accessible(page, name, known)
        if narrow:
            width = scroll_width_at(page)
            assert width <= NARROWEST, (f"{name} ({page.url}) scrolls sideways at "
                                        f"{NARROWEST} px: it is {width} px wide")


# --- the keyboard -------------------------------------------------------------------------

def is_focused(locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page, locator, *, most: int = 40, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``locator`` has the focus, as a keyboard user does."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(most):
        page.keyboard.press(key)
        if is_focused(locator):
            return
    raise AssertionError(f"{locator} never got the focus after {most} presses of {key}")


def focus_outline(page) -> dict:
    """The outline of the focused element, as the browser paints it."""
    return page.evaluate("""() => {
        const el = document.activeElement, s = getComputedStyle(el);
        return {element: el.outerHTML.slice(0, 120), style: s.outlineStyle,
                width: parseFloat(s.outlineWidth) || 0, color: s.outlineColor};
    }""")


def assert_focus_visible(page) -> None:
    outline = focus_outline(page)
    assert outline["style"] not in ("none", "hidden") and outline["width"] >= 2, (
        f"the focused element shows no visible outline: {outline}")
