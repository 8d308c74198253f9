"""Make the export options screenshot: the dialog for a 1024 x 683 px picture exported as JPEG on
A4 at 300 dpi, too small for it, so it says what the print needs and offers Render or Queue at print size:

    QT_QPA_PLATFORM=offscreen python docs/screenshots/make_export_screenshot.py
"""

from __future__ import annotations

import sys

from shots import shot


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from nst_desktop.gui.app import apply_theme
    from nst_desktop.gui.export_dialog import ExportOptionsDialog
    from nst_desktop.gui.print_sizes import SIZE_LIMIT

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    # Built here rather than through File > Export…, whose exec() would block the script.
    dialog = ExportOptionsDialog((1024, 683), "JPEG", "tubingen-starry_night.jpg", SIZE_LIMIT, can_queue=True)
    dialog.resize(640, dialog.sizeHint().height())
    dialog.show()
    shot(dialog, "export_print_size.png")
    dialog.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
