"""``python -m cavitation``: the command line, exiting the ordinary way (see ``cli.run``)."""

from .cli import run

run(fast_exit=False)
