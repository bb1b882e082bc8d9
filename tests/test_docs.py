"""README.md stays honest: every `dedupe find` option documented, sample output and exit codes real."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from news_dedupe import cli as cli_module
from news_dedupe.cli import cli
from news_dedupe.config import PRESETS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README text under a `### title` heading, up to the next heading."""
    match = re.search(rf"^### {re.escape(title)}\n(.*?)(?=^#)", README, flags=re.M | re.S)
    assert match, f"README.md has no section '### {title}'"
    return match.group(1)


def options(command: str) -> list[click.Option]:
    return [p for p in cli.commands[command].params if isinstance(p, click.Option)]


def flag_pattern(flag: str) -> str:
    """A flag as a whole token: `--seed` matches `--seed N` but not `--seeds`, `-o` not `--output`."""
    return rf"(?<![\w-]){re.escape(flag)}(?![\w-])"


def table_row(flag: str) -> str:
    """The row of the find options table that documents FLAG."""
    rows = [
        row
        for row in section("Options of `dedupe find`").splitlines()
        if row.startswith("|") and re.search(flag_pattern(flag), row)
    ]
    assert rows, f"{flag} is not in README.md's table of `dedupe find` options"
    return rows[0]


@pytest.mark.parametrize(
    "flag", [flag for option in options("find") for flag in option.opts + option.secondary_opts]
)
def test_find_option_documented(flag):
    """Each flag of `dedupe find`, long and short, has a row in README.md's options table."""
    table_row(flag)


@pytest.mark.parametrize(
    "option", [o for o in options("find") if isinstance(o.type, click.Choice)], ids=lambda o: o.name
)
def test_find_choices_documented(option):
    """Each value of a choice option (--format, --preset) is named in its README row."""
    row = table_row(option.opts[-1])
    for choice in option.type.choices:
        assert re.search(rf"(?<![\w]){re.escape(choice)}(?![\w])", row), f"{choice} missing from: {row}"


@pytest.mark.parametrize(
    "option", [o for o in options("find") if o.name in PRESETS["balanced"].as_dict()], ids=lambda o: o.name
)
def test_find_threshold_defaults_documented(option):
    """Each threshold's README row gives the default in brackets, as the balanced preset has it."""
    default = PRESETS["balanced"].as_dict()[option.name]
    assert f"({default})" in table_row(option.opts[-1])


@pytest.mark.parametrize("command", ["eval", "explain"])
def test_shared_options_same_as_find(command):
    """Options eval and explain share with find have the same flags, so find's table documents them too."""
    find = {o.name: sorted(o.opts) for o in options("find")}
    for option in options(command):
        if option.name in find:
            assert sorted(option.opts) == find[option.name], option.name


def test_seeds_output_matches(runner, seeds_path):
    """The sample output in README.md is exactly what `dedupe fixtures/seeds.txt` prints."""
    match = re.search(r"<!-- seeds-output -->\n```\n(.*?)```\n<!-- /seeds-output -->", README, flags=re.S)
    assert match, "README.md has no ``` block between <!-- seeds-output --> and <!-- /seeds-output -->"
    result = runner.invoke(cli, [str(seeds_path)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == match.group(1)


def test_readme_runs_the_seeds_command():
    """The command the sample output claims to come from is the one README.md shows."""
    assert "dedupe fixtures/seeds.txt" in README


def test_exit_codes_match_constants():
    """README.md's exit code table holds exactly 0 and the EXIT_* constants of cli.py."""
    table = section("Exit codes")
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, flags=re.M)}
    constants = {value for name, value in vars(cli_module).items() if name.startswith("EXIT_")}
    assert documented, "no exit codes found in README.md's table"
    assert documented == constants | {0}
