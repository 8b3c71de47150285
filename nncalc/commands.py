"""The click group of a Typer app, building each subcommand only when click asks for it.

Typer's get_command inspects every subcommand's options on every run, though a run uses
one: for nncalc's dozen commands that is a third of a bare Typer app's start-up. Here the
group is built with its callback alone, and a subcommand when it is looked up; a help page
or a misspelt name (did you mean …?) looks them all up.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, MutableMapping

import typer
from typer.models import CommandInfo


def group(app: typer.Typer):  # -> typer.core.TyperGroup
    """The click command of ``app``, as typer.main.get_command makes it, built lazily."""
    if not app.registered_callback:
        return typer.main.get_command(app)
    bare = copy.copy(app)
    bare.registered_commands = []
    result = typer.main.get_command(bare)
    result.commands = _Commands(app, result.commands)
    return result


class _Commands(MutableMapping):
    """The subcommands by name, in Typer's order; each built on first use."""

    def __init__(self, app: typer.Typer, built: dict) -> None:
        self.app = app
        self.infos = {_name(info): info for info in app.registered_commands}
        self.built = dict(built)  # sub-groups, built by Typer

    def __getitem__(self, name: str):
        if name not in self.built:
            self.built[name] = typer.main.get_command_from_info(
                self.infos[name],
                pretty_exceptions_short=self.app.pretty_exceptions_short,
                rich_markup_mode=self.app.rich_markup_mode,
            )
        return self.built[name]

    def __setitem__(self, name: str, command) -> None:
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        self.infos.pop(name, None)
        del self.built[name]

    def __iter__(self) -> Iterator[str]:
        yield from self.infos
        yield from (name for name in self.built if name not in self.infos)

    def __len__(self) -> int:
        return len(self.infos.keys() | self.built.keys())


def _name(info: CommandInfo) -> str:
    assert info.callback is not None
    return info.name or typer.main.get_command_name(info.callback.__name__)
