"""gunicorn settings for KetNoi's web processes.

Read by ``gunicorn --config gunicorn.conf.py`` (``Procfile``'s ``web``), and by any
gunicorn started in this folder (gunicorn looks for ``./gunicorn.conf.py``). Workers,
address and timeout stay on the command line, where ``Procfile`` names them.

gunicorn has no setting for its ``Server: gunicorn`` header: the name it sends is a
module constant, read for every response, so it is replaced here, before the workers
fork. A header set by the app would be sent beside gunicorn's, not instead of it.
"""

import gunicorn
import gunicorn.http.wsgi

# As webapp.security.SERVER_BANNER (not imported: the master need not load the app).
SERVER_BANNER = "KetNoi"

gunicorn.SERVER = SERVER_BANNER
gunicorn.http.wsgi.SERVER = SERVER_BANNER


def post_fork(server, worker):
    """A worker whose master dies (killed, crashed) stops too, at once.

    Otherwise it would serve on unsupervised until its next check of its parent (up to
    half the timeout, 60 s), holding the port the restarted master must bind
    (supervisord or systemd starts one at once: deploy/)."""
    import ctypes
    import os
    import signal
    import sys

    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != server.pid:  # the master died before the call
            os.kill(os.getpid(), signal.SIGTERM)


def post_worker_init(worker):
    """Warm the worker before it accepts a connection (``webapp.warmup``): the index, the
    encoder's weights and one pass, templates, translations, a database connection and
    one directory search, so the first request after a start costs what any other does.

    ``KETNOI_WARM_ON_START=0`` turns it off (a worker then loads all that on its first
    request). A step that fails is logged and skipped: the worker starts regardless."""
    import os

    if os.environ.get("KETNOI_WARM_ON_START", "1").strip().lower() in {"0", "false", "no", "off"}:
        return
    app = worker.wsgi  # the Flask app "webapp:create_app()" made in this worker
    if hasattr(app, "app_context"):
        from webapp.warmup import warm

        warm(app)


# No control socket (gunicorn >= 25): nothing here uses ``gunicornc``, and every
# gunicorn of a user would otherwise share one default path ($HOME/.gunicorn/).
control_socket_disable = True
