"""The command line: argument parsing and printing for each command, nothing else.

``main`` dispatches ``evalkit <command>``; each command module has ``add_arguments(parser)`` and
``run(args) -> int``. ``eval_and_aggregate`` is also a console script of its own. The top of the tree: no
other module imports these.
"""
