"""The Ed-Fi attendance event categories a record falls in, so a school information system can
take Rollcall's records as they are (Ed-Fi's AttendanceEventCategoryDescriptor code values)."""

IN_ATTENDANCE, TARDY = "In Attendance", "Tardy"
EXCUSED_ABSENCE, UNEXCUSED_ABSENCE = "Excused Absence", "Unexcused Absence"
CATEGORIES = (IN_ATTENDANCE, TARDY, EXCUSED_ABSENCE, UNEXCUSED_ABSENCE)


def category(status, late, ended):
    """A record's category: present on time or late, excused, or absent (marked absent, or never
    marked in a session that has ended). None while the session is not over and nobody marked
    it, and for an invited email with no account (status not_enrolled)."""
    if status == "present":
        return TARDY if late else IN_ATTENDANCE
    if status == "excused":
        return EXCUSED_ABSENCE
    if status == "absent" or (status is None and ended):
        return UNEXCUSED_ABSENCE
    return None
