"""Domain errors: each carries the HTTP status and the stable code the contract answers with."""


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message, code=None, status=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class BadInput(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class TooLarge(ApiError):
    status, code = 413, "too_large"


class NotAnImage(ApiError):
    status, code = 415, "not_an_image"


class FaceProblem(ApiError):
    status, code = 422, "no_usable_face"


class TooManyAttempts(ApiError):
    status, code = 429, "too_many_attempts"


class Unavailable(ApiError):
    status, code = 503, "unavailable"


class BadPresenceCode(ApiError):
    """A selfie check-in without the room's current presence code: its own class and code, so
    it can be counted (and rate-limited) apart from face mismatches."""
    status, code = 422, "bad_presence_code"
