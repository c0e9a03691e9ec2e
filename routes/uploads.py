"""How request bodies are read: every multipart part in memory, and a form with too many
parts told so.

Werkzeug spools a file part to a temporary file once the body passes 500 KB; photos must
never reach the disk, and MAX_UPLOAD_MB (MAX_CONTENT_LENGTH) already bounds the memory a
body can take, so every part is kept in a BytesIO.
"""
import io

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from services.errors import TooLarge


class InMemoryRequest(Request):
    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        return io.BytesIO()

    @property
    def max_form_memory_size(self):
        # A text field (a base64 photo) may be as large as the body may be; without this a
        # 600 KB base64 field was refused as larger than the 10 MB limit.
        return self.max_content_length

    def _load_form_data(self):
        try:
            super()._load_form_data()
        except RequestEntityTooLarge:
            # Werkzeug raises the same error for a body over MAX_CONTENT_LENGTH and for more
            # than max_form_parts parts; only the first is about size.
            if self._body_over_limit():
                raise
            raise TooLarge(f"The form has more than {self.max_form_parts} parts (fields and files); "
                           "send fewer.", code="too_many_parts") from None

    def _body_over_limit(self):
        limit = self.max_content_length
        if limit is None:
            return False
        if self.content_length is not None:
            return self.content_length > limit
        # A chunked body has no length: it was too long when the limited stream ran out.
        return bool(getattr(self.__dict__.get("stream"), "is_exhausted", False))
