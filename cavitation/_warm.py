"""Imported by a batch's fork server (``multiprocessing``'s ``forkserver`` start method)
before it forks any worker: it renders a millisecond of the knuckle's crack, so that the
server holds the imports and the compiled code, and every worker it forks starts warm
(as a forked worker does from the main process). It writes nothing, and it never fails:
a warm-up that cannot run leaves the workers to warm up themselves (a fork server dies
on any error in what it preloads, other than an ImportError)."""

import warnings

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from .render import render

        render(after_crack_s=1e-3)
except Exception:  # the workers' own warm-up will say what is wrong
    pass
