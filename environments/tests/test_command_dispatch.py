"""`python -m <domain> <command>`: the chosen command runs; anything else prints the usage."""

from __future__ import annotations

import importlib

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


@pytest.mark.parametrize("package", ["environments", "ml", "streaming", "monitoring", "export"])
def test_every_package_runs_its_commands_through_the_dispatcher(
    package: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main = importlib.import_module(f"{package}.__main__")
    assert main.main([]) == 2  # the dispatcher's usage, naming every command
    assert f"usage: python -m {package} {{{','.join(main.COMMANDS)}}} ..." in capsys.readouterr().err
    for command, module in main.COMMANDS.items():
        assert callable(importlib.import_module(module).main), f"{package} {command}: {module} has no main"
