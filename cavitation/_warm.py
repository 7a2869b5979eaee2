"""Imported by a batch's fork server (``multiprocessing``'s ``forkserver`` start method)
before it forks any worker: it renders a millisecond of the knuckle's crack, so that the
server holds the imports and the compiled code, and every worker it forks starts warm
(as a forked worker does from the main process). It writes nothing."""

from .render import render

render(after_crack_s=1e-3)
