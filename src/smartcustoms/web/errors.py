"""Errors a request can meet, each with its HTTP status; the API answers them as
``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`` (FastAPI's shape), the pages as an HTML page."""


class WebError(ValueError):
    status_code = 400
    type = "bad_request"

    def __init__(self, message: str, *, loc: tuple | list = (), headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.loc = list(loc)
        self.headers = headers or {}

    def errors(self) -> list[dict]:
        return [{"loc": self.loc, "msg": self.message, "type": self.type}]


class NotAuthenticated(WebError):
    status_code = 401
    type = "not_authenticated"

    def __init__(self, message: str = "sign in, or send an API token as 'Authorization: Bearer sct_...'"):
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(WebError):
    status_code = 403
    type = "forbidden"


class CsrfFailed(Forbidden):
    type = "csrf"

    def __init__(self):
        super().__init__("the form's CSRF token is missing or wrong: reload the page and try again")


class NotFound(WebError):
    status_code = 404
    type = "not_found"


class Conflict(WebError):
    status_code = 409
    type = "conflict"


class TooLarge(WebError):
    status_code = 413
    type = "too_large"


class Invalid(WebError):
    """Field-level problems, all of them at once."""

    status_code = 422
    type = "invalid"

    def __init__(self, problems: list[dict]):
        super().__init__("; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in problems))
        self.problems = problems

    def errors(self) -> list[dict]:
        return self.problems

    def __reduce__(self):  # pickled as a result of the lodging process: rebuilt from its problems
        return type(self), (self.problems,), self.__dict__

