"""What a name (a person's or a class's) may hold.

Names end up in spreadsheets, file names and the class photo's labels: control characters
(C0, DEL, C1) and the Unicode line and paragraph separators have no place in them. openpyxl
refuses most of them outright, and a line break lets a name start a new line in a CSV
that a spreadsheet might read as a formula.
"""
import re

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def has_control_characters(text):
    return bool(text) and CONTROL.search(text) is not None


def without_control_characters(text):
    """A stored name made fit to export: each run of control characters becomes one space."""
    if not text:
        return text
    return CONTROL.sub(" ", text).strip()
