"""Copy the best screenshots of the last browser-test run into docs/screenshots/.

    .venv/bin/pytest tests/e2e && .venv/bin/python -m tests.e2e.docs_screenshots

Each test saves every page it visits under test-artifacts/e2e/<test>/NN-<step>.png
(git-ignored); the README shows the ones listed here.
"""

from __future__ import annotations

import shutil
import sys

from .helpers import ARTIFACTS, ROOT

DOCS = ROOT / "docs" / "screenshots"
PATIENT = "test_patient_prepares_on_a_phone_with_one_section_by_keyboard"
DESK = "test_front_desk_books_hands_over_the_link_and_checks_the_patient_in"
CLINICIAN = "test_clinician_returns_a_checklist_the_patient_fixes_it_and_it_is_cleared"
# docs/screenshots/<name>.png: (the test, its step)
BEST = {
    "patient-1-intro": (PATIENT, "intro"),
    "patient-2-ride-home-keyboard": (PATIENT, "keyboard-focus-on-save"),
    "patient-3-review": (PATIENT, "review"),
    "patient-4-timeline": (PATIENT, "timeline"),
    "patient-5-returned": (CLINICIAN, "returned-intro"),
    "desk-1-link-shown-once": (DESK, "link-shown-once"),
    "desk-2-board": (DESK, "board-after-submit"),
    "desk-3-check-in": (DESK, "check-in-needs-driver"),
    "clinician-1-review": (CLINICIAN, "submission-changed"),
}


def find(test: str, step: str):
    found = sorted(ARTIFACTS.glob(f"{test}*/[0-9][0-9]-{step}.png"))
    if not found:
        raise SystemExit(f"no screenshot of {step!r} from {test}: run the browser tests first")
    return found[-1]


def main() -> int:
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, (test, step) in BEST.items():
        shutil.copyfile(find(test, step), DOCS / f"{name}.png")
        print(f"docs/screenshots/{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
