"""`python -m environments <command>`: one module per command, each with `main(argv) -> int` (run through
`environments.command_dispatch`, as every domain's commands are)."""
