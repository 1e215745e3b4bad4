"""`python -m <domain> <command>`: the chosen command runs; anything else prints the usage."""

from __future__ import annotations

import pytest

from environments.command_dispatch import dispatch


def test_unknown_command_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert dispatch("ml", {"pipeline": "ml.cli.pipeline"}, ["train"]) == 2
    assert "usage: python -m ml {pipeline} ..." in capsys.readouterr().err


def test_chosen_command_gets_the_rest_of_the_arguments() -> None:
    # `python -m environments bench-summary` needs a folder: argparse exits 2 when it is missing.
    with pytest.raises(SystemExit) as caught:
        dispatch("environments", {"main": "environments.__main__"}, ["main", "bench-summary"])
    assert caught.value.code == 2
