"""The picture on show in the document without a window (issue 17.1-17.2): ``document.picture``
follows the session's picture (a run's, a chosen variation's)."""

from __future__ import annotations

import numpy as np

from nst_desktop.engine.spec.events import RunResult
from tests.gui.parts import PARAMS as PARTS_PARAMS
from tests.gui.parts import Parts


def test_a_chosen_variation_is_the_documents_picture(parts: Parts) -> None:
    image = np.full((24, 32, 3), 0.3, np.float32)
    parts.session.adopt(RunResult(image, PARTS_PARAMS, False, 1, 0.1, {}, "cpu"), [1.0])
    picture = parts.document.picture
    assert picture is not None and picture.image is image and picture.kind == "variation"
    assert parts.tweaks.can_promote()  # a small picture of this photo: it can go on to full size
