"""Errors of the state store."""


class StateError(Exception):
    """The state store could not complete an operation."""


class StateUnavailable(StateError):
    """The backing store (Redis) cannot be reached."""
