"""The one exception base of newsqa: callers catch `NewsQAError` to tell bad input or a
missing model apart from a bug, and the CLI turns it into one `error:` line."""

from __future__ import annotations


class NewsQAError(Exception):
    """Something the user can fix (input, files, installed models), reported without a traceback."""
