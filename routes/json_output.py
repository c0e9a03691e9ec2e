"""JSON answers written by orjson: a teacher's full listing is thousands of records, and the
standard library's encoder spent 100 ms of a worker's GIL on 12,000 of them (orjson: 15 ms)."""
import orjson
from flask.json.provider import DefaultJSONProvider

# Keys in insertion order, as the contract's examples show them; int keys (counts by year,
# say) become strings as they did with the json module.
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


class OrjsonProvider(DefaultJSONProvider):
    sort_keys = False

    def dumps(self, obj, **kwargs):
        if kwargs.get("indent"):  # the debug server's pretty-printed answers
            return super().dumps(obj, **kwargs)
        try:
            # datetimes keep Flask's HTTP-date form (DefaultJSONProvider.default), as before
            return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()
        except orjson.JSONEncodeError:
            # what orjson refuses and the json module writes: a lone surrogate echoed from
            # bad input in an error message, an integer beyond 64 bits
            return super().dumps(obj, **kwargs)
