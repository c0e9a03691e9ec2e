"""JSON answers written by orjson: a teacher's full listing is thousands of records, and the
standard library's encoder holds a worker's GIL several times as long over them
(docs/performance.md)."""
from datetime import date

import orjson
from flask.json.provider import DefaultJSONProvider

# Keys in insertion order, as the contract's examples show them; int keys (counts by year,
# say) become strings as they did with the json module. Dates and instants are written in
# ISO 8601 to the second, as the contract shows them; a stored instant is naive UTC.
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_NAIVE_UTC | orjson.OPT_OMIT_MICROSECONDS


class OrjsonProvider(DefaultJSONProvider):
    sort_keys = False

    @staticmethod
    def default(value):
        # the json module's turns below write dates and instants as orjson does, not as HTTP dates
        if isinstance(value, date):  # datetimes too
            return orjson.dumps(value, option=_OPTIONS).decode()[1:-1]
        return DefaultJSONProvider.default(value)

    def dumps(self, obj, **kwargs):
        if kwargs.get("indent"):  # the debug server's pretty-printed answers
            return super().dumps(obj, **kwargs)
        try:
            return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()
        except orjson.JSONEncodeError:
            # what orjson refuses and the json module writes: a lone surrogate echoed from
            # bad input in an error message, an integer beyond 64 bits
            return super().dumps(obj, **kwargs)
