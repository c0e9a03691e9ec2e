"""An email address as it is stored and compared, from a form field, a roster file or the
command line alike."""
import unicodedata


def normalize(value):
    """NFC, without invisible format characters, lowercase.

    A byte-order mark or a zero-width space copied along with an address from a spreadsheet
    or a chat (Unicode category Cf) would otherwise make a second, unreachable address that
    looks the same: an invitation nobody can ever take up.
    """
    visible = "".join(c for c in unicodedata.normalize("NFC", value) if unicodedata.category(c) != "Cf")
    return visible.lower()
