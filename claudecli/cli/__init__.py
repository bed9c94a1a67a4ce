"""The command line: thin Typer wiring over the core; nothing below this package knows Typer.

* ``startup``     the console entry point and the start-up garbage-collector pause.
* ``app``         the root Typer app, its global options, and the one error boundary.
* ``registry``    the subcommands, loaded only when used.
* ``common``      what every command module shares (the app context, output flags, roles).
* ``tool_flags``, ``batch_input_flags``  option declarations shared by several commands.
* ``*_cmd``       one module a subcommand: parse options, call the core, exit.
* ``completions`` shell completion scripts generated from the app.
"""
