"""The one base of the library's refusals."""

from __future__ import annotations


class StockmonError(ValueError):
    """What the library refuses, in one clear sentence for whoever asked: a person (a bad
    threshold, a taken list name, a refused notification URL) or the admin (a garbled setting,
    a key that does not open the stored secrets). Pages show the sentence as it is, through
    ``stockmon.app.refusals``; the command line prints it.

    The scheduler's own signals (a provider's failure, a lost lease, a spent budget) are not
    refusals: they steer its cycle and never reach a page."""
