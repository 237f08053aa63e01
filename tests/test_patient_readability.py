"""Plain words on every patient page (issue 9): the Flesch-Kincaid grade of each page's
patient-facing sentences stays at 6 or below (textstat 0.7.3, which works offline)."""

from __future__ import annotations

import re

import textstat

from .patient_forms import calm_answers, submit, walk

GRADE = 6.0


def sentences(html: str) -> str:
    """The page's own words (main, without the clinic's name and phone in the header and the
    footer), one sentence a line; a heading or a label without a full stop is a sentence."""
    main = html.split('<main', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", main, flags=re.S)
    blocks = re.split(r"<(?:p|h[1-6]|li|dt|dd|label|legend|button|a)\b[^>]*>", main)
    text = []
    for block in blocks:
        words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block)).strip()
        if words:
            text.append(words if words[-1] in ".?!" else words + ".")
    return "\n".join(text)


def grade_of(html: str) -> float:
    return textstat.flesch_kincaid_grade(sentences(html))


def test_every_patient_page_reads_at_grade_6_or_below(patient):
    pages = {"intro": patient.get("/checklist/")}
    for section in calm_answers(patient):
        pages[section] = patient.get(f"/checklist/step/{section}")
    pages["missing"] = patient.get("/checklist/step/bring")  # nothing answered yet
    walk(patient, calm_answers(patient))
    pages["review"] = patient.get("/checklist/review")
    submit(patient)
    pages["timeline"] = patient.get("/checklist/done")
    pages["not-found"] = patient.get("/checklist/step/nowhere")
    grades = {name: grade_of(page.text) for name, page in pages.items()}
    print(grades)
    assert {name: g for name, g in grades.items() if g > GRADE} == {}
