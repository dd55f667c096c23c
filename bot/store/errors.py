"""Errors the lead store raises on purpose (callers catch ``LeadStoreError``)."""


class LeadStoreError(Exception):
    """Base class of every error the lead store raises on purpose."""


class LeadStoreUnavailable(LeadStoreError):
    """The database stayed locked or unreachable (or could not be opened) for too long."""


class InvalidInput(LeadStoreError, ValueError):
    """A record or an argument is malformed."""


class NotFound(LeadStoreError, LookupError):
    """No such screening, conversation, review item or account."""


class AlreadyResolved(LeadStoreError):
    """The review item was resolved before."""
