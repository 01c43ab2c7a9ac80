"""The error every stage raises for a bad input a user can fix: printed as one line, exit code 2."""


class UsageError(Exception):
    """A user error: printed as one line, exit code 2."""
