"""``secaudit completion SHELL``: the shell-completion script (Click's), to source from a shell's rc file."""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def command(ctx: click.Context, shell: str) -> None:
    """Print the completion script for SHELL: commands, options and their choices complete on Tab.

    \b
    Example:
      secaudit completion bash > ~/.local/share/bash-completion/completions/secaudit
      echo 'eval "$(secaudit completion zsh)"' >> ~/.zshrc
      secaudit completion fish > ~/.config/fish/completions/secaudit.fish
    """
    from click.shell_completion import get_completion_class

    root = ctx.find_root().command
    completion = get_completion_class(shell)
    assert completion is not None            # every name in SHELLS has a class in Click
    click.echo(completion(root, {}, "secaudit", "_SECAUDIT_COMPLETE").source())
