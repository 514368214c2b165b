"""The library's refusals on the page: one sentence, shown as text, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from stockmon.app.presentation import escape_markdown
from stockmon.domain.errors import StockmonError


@contextmanager
def shown(where: Any = None, wording: str = "{}", keep: str | None = None) -> Iterator[None]:
    """Run the block; a ``StockmonError`` it raises becomes one sentence (``wording`` around
    the error's own), shown in ``where`` (a container; the page by default). In a widget
    callback, whose output would not last, ``keep`` names where the next run finds it
    (``show_kept``)."""
    try:
        yield
    except StockmonError as error:
        sentence = escape_markdown(wording.format(error))
        if keep is not None:
            st.session_state[keep] = sentence
        else:
            (where or st).error(sentence)


def show_kept(keep: str, where: Any = None) -> None:
    """The sentence a callback kept under ``keep``, shown once."""
    if sentence := st.session_state.pop(keep, None):
        (where or st).error(sentence)
