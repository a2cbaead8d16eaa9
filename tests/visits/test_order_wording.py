"""The orders page names the button it tells people to press, in the words the button
itself shows; the order page keeps the cancel form folded away from the main path."""

from __future__ import annotations

import re

from django.utils import translation
from django.utils.translation import gettext


def test_the_hint_names_the_elder_pages_button_as_it_reads() -> None:
    for language in ("zh-hans", "en"):
        with translation.override(language):
            button = gettext("Care plans and visits")
            hint = gettext(
                "To place an order, open the elder's page and choose “Care plans and visits”."
            )
        assert re.search(r"“([^”]+)”", hint).group(1) == button, language  # type: ignore[union-attr]


def test_the_cancel_form_is_folded_behind_its_own_summary() -> None:
    from pathlib import Path

    import yiyang.visits

    page = (Path(yiyang.visits.__file__).parent / "templates/visits/order_detail.html").read_text()
    fold = page.index('<details class="card danger-zone" id="cancel-order"')
    assert fold < page.index('id="cancel-form"') < page.index("</details>")
