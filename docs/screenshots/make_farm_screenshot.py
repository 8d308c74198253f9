"""Make the Render farm settings screenshot: the dialog after "Test connection" against a real
two-node farm on this machine's loopback (farm.loopback; Linux with the farm extra):

    xvfb-run -s "-screen 0 1440x900x24" python docs/screenshots/make_farm_screenshot.py
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from pathlib import Path

from shots import open_window, shot, wait_until


def main() -> int:
    from nst_desktop.farm.loopback import LocalFarm, free_port, start_cluster, stop_cluster
    from nst_desktop.gui.farm_dialog import FarmDialog

    token = Path(tempfile.mkdtemp(prefix="nst-farm-shot-")) / "token"
    token.write_text(secrets.token_urlsafe() + "\n")
    try:
        farm = LocalFarm(start_cluster(nodes=2, cpus_per_node=1), token, free_port())
        farm.start()
        app, window = open_window()
        # Built here rather than through Edit > Render farm…, whose exec() would block the script.
        dialog = FarmDialog(window.settings, window)
        dialog.url.setText(farm.url)
        dialog.token.setText(token.read_text().strip())
        dialog.show()
        answers: list[str] = []
        dialog.tested.connect(answers.append)
        dialog.test.click()
        wait_until(lambda: bool(answers), 30)
        shot(dialog, "farm_settings.png")
        dialog.close()
        window.close()
        farm.stop()
    finally:
        stop_cluster()
    return 0


if __name__ == "__main__":
    sys.exit(main())
