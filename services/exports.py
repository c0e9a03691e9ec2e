"""An attendance grid (services.term_reports.Grid) as a file: CSV or an Excel workbook.

One row per student, one column per session marked P, L (present, late), A, E or -, then the
present (late ones included), absent and excused totals, the rate in %, the late arrivals and
their rate in %. Names are written without control characters (refused at input; rows stored
before that are cleaned here), and text that a spreadsheet could run as a formula is written
as text: in a CSV, a quote goes before each formula character that starts the cell or follows
a separator (',' ';' tab) or a line break, since the file may be opened with any separator; in
a workbook, the cell is typed as a string.
"""
import csv
import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from services.names import without_control_characters

FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
TOTALS = ("present", "absent", "excused", "rate %", "late", "tardy rate %")
# a formula character at the start of a cell as some spreadsheet may split it: after the start,
# a separator or a line break, then any spaces and double quotes (a lenient reader drops them)
FORMULA_AFTER_SEPARATOR = re.compile(r"(^|[,;\t\r\n])([\s\"]*)(?=[=+\-@\t\r])")


def _session_label(session, several_classes):
    label = session.starts_at.strftime("%Y-%m-%d %H:%M")
    return f"{without_control_characters(session.class_name)} {label}" if several_classes else label


def header(grid):
    several = len({s.class_name for s in grid.sessions}) > 1
    return ["email", "name", *(_session_label(s, several) for s in grid.sessions), *TOTALS]


def safe_text(value):
    """CSV: text without control characters, and a quote before every place a spreadsheet
    could start a formula, which keeps it text."""
    return FORMULA_AFTER_SEPARATOR.sub(r"\1\2'", without_control_characters(value)) if value else value


def _students(grid):
    """The grid's rows with names fit to export."""
    for email, name, *rest in grid.students:
        yield (email, without_control_characters(name), *rest)


def to_csv(grid):
    """UTF-8 with a BOM (Excel then reads the accents right; LibreOffice either way), ',' separated."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(h) for h in header(grid)])
    for email, name, marks, present, absent, excused, rate, late, tardy_rate in _students(grid):
        writer.writerow([safe_text(email), safe_text(name), *marks, present, absent, excused,
                         "" if rate is None else f"{rate:.1f}", late,
                         "" if tardy_rate is None else f"{tardy_rate:.1f}"])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(grid):
    """A workbook with a bold header row, the header and the student columns frozen, and the
    rate as a percentage cell (its value a fraction: 0.75 shows as 75.0%)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Attendance"
    sheet.append(header(grid))
    for email, name, marks, present, absent, excused, rate, late, tardy_rate in _students(grid):
        sheet.append([email, name, *marks, present, absent, excused, None if rate is None else rate / 100, late,
                      None if tardy_rate is None else tardy_rate / 100])
    rate_column = len(grid.sessions) + 6
    for row in sheet.iter_rows():
        for cell in row[:2]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, not a formula
        row[rate_column - 1].number_format = "0.0%"
        row[rate_column + 1].number_format = "0.0%"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", text_rotation=90 if 2 < cell.column <= len(grid.sessions) + 2 else 0)
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
    sheet.column_dimensions["A"].width = max([len("email")] + [len(s[0]) for s in grid.students]) + 2
    sheet.column_dimensions["B"].width = max([len("name")] + [len(s[1] or "") for s in _students(grid)]) + 2
    for index in range(3, len(grid.sessions) + 3):
        sheet.column_dimensions[get_column_letter(index)].width = 4
    sheet.freeze_panes = "C2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(grid, file_format):
    return (to_xlsx if file_format == "xlsx" else to_csv)(grid)


def filename(grid, who, file_format):
    """attendance_<class or student>_<first date>_<last date>.<format>, ASCII only."""
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", who).strip("_.") or "export"
    return f"attendance_{slug[:60]}_{grid.first_date}_{grid.last_date}.{file_format}"


RECORD_HEADER = ("email", "name", "class_name", "class_date", "start_time", "end_time", "status", "late",
                 "minutes_late", "method", "category")


def _record_cells(row):
    email, name, class_name, starts_at, ends_at, status, late, minutes_late, method, category = row
    return [email, name, class_name, starts_at.date().isoformat(), starts_at.strftime("%H:%M"),
            ends_at.strftime("%H:%M"), status or "pending", "yes" if late else "no",
            "" if minutes_late is None else minutes_late, method or "", category or ""]


def records_to_csv(record_list):
    """One line per record (services.term_reports.RecordList), its Ed-Fi category last."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RECORD_HEADER)
    for row in record_list.rows:
        cells = _record_cells(row)
        writer.writerow([safe_text(c) if isinstance(c, str) else c for c in cells])
    return out.getvalue().encode("utf-8-sig")


def records_to_xlsx(record_list):
    book = Workbook()
    sheet = book.active
    sheet.title = "Records"
    sheet.append(RECORD_HEADER)
    for row in record_list.rows:
        sheet.append(_record_cells(row))
    for row in sheet.iter_rows():
        for cell in row[:3]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, not a formula
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_records(record_list, file_format):
    return (records_to_xlsx if file_format == "xlsx" else records_to_csv)(record_list)