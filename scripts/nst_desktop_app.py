"""Entry script of the frozen app (PyInstaller needs a file, not a console-script name)."""

import sys

from nst_desktop.gui.app import main

if __name__ == "__main__":
    sys.exit(main())
