"""What every command of the CLI shares: the program name, exit codes, the usage error."""

from __future__ import annotations

PROG = "nst-desktop"
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # the shell convention for "ended by SIGINT"


class UsageError(Exception):
    """A malformed command line (raised instead of argparse's usage dump + exit)."""
