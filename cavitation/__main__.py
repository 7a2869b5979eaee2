"""``python -m cavitation``: the command line."""

from .cli import run

run()
