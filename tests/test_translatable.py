"""Patient-facing words are ready for translation: the extraction that `make messages` runs finds
them in the templates and the forms (tests/test_spanish.py checks each has its Spanish)."""

from pathlib import Path

from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("prep_app/**.py", "python"), ("prep_app/templates/**.html", "jinja2")]


def extracted() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(
            str(ROOT), METHODS, keywords={"_": None, "gettext": None, "_l": None,
                                          "lazy_gettext": None}):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_patients_pages_and_forms_are_extracted_for_translation():
    messages = extracted()
    for words in ("Getting ready for your session", "Check your answers",
                  "Save and continue", "Your date of birth", "Please answer this question.",
                  "This link is not working", "Your timeline"):
        assert words in messages, words


def test_the_drivers_page_and_the_patients_notice_are_extracted_for_translation():
    messages = extracted()
    for words in ("Can you drive %(name)s home?", "I'll be there", "I can't make it",
                  "May we text your driver?", "A quick check this morning",
                  "Are you still fasting as planned?",
                  "Your driver said they can't make it. Please name another driver or call us."):
        assert words in messages, words
