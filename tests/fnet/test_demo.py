from __future__ import annotations

from pathlib import Path

from fnet.demo import describe

DOCUMENT = {
    "foundations": {"shekou": {"id": "01a2", "api_key": "fnet_abc_def"}},
    "campaigns": {"shekou-phase-1": "01a3"},
}


def test_names_the_credentials_file_where_it_was_written() -> None:
    text = describe(DOCUMENT, "http://127.0.0.1:18100", Path("/srv/fnet-var"))
    assert text.startswith("Demo data loaded.")
    assert "(also in /srv/fnet-var/demo-credentials.json)" in text


def test_the_default_folder_is_var() -> None:
    assert "(also in var/demo-credentials.json)" in describe(DOCUMENT, "http://x", Path("var"))


def test_says_already_loaded_when_nothing_was_added() -> None:
    text = describe(DOCUMENT, "http://x", Path("var"), added=False)
    assert text.startswith("Demo data already loaded; nothing to add.")
    assert "Demo data loaded." not in text
