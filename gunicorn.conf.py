"""Gunicorn settings for the Automotive Chat Assistant (`gunicorn -c gunicorn.conf.py main:app`).

Every value can be set from the environment; see README.md, "Configuration".

The app is preloaded: the master imports it once and forks ready workers (less memory,
fast and fail-fast boots). Two consequences, both handled below:

- gevent must patch the standard library before the app is imported, in the master
  (see ``PatchedGeventWorker``);
- HUP restarts the workers gracefully with the code loaded at start: to run new code,
  restart the service. Outside systemd, USR2 then QUIT of the old master also works;
  under systemd it does not, because the new master is not the unit's main process.

Workers recycle after MAX_REQUESTS requests (plus up to MAX_REQUESTS_JITTER), one at a
time, and each is replaced before it stops accepting (see ``PatchedGeventWorker``).
"""

import atexit
import contextlib
import errno
import fcntl
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import warnings
from pathlib import Path

from gunicorn.util import is_ipv6
from gunicorn.workers.ggevent import GeventWorker

from config import GUNICORN_TIMEOUT

_production = os.environ.get("FLASK_ENV", "development") == "production"

# ---------------------------------------------------------------- metrics directory

# Every worker writes its Prometheus samples to files here and /metrics adds them up.
# prometheus_client reads the variable when it is imported, which (preloading) happens
# in this process right after this file: so it is set here, before anything imports it.
# Kept across HUP (the variable is already set then); emptied when the server starts.


def _remove_metrics_tmp(path: str, master_pid: int) -> None:
    """At the master's exit (a failed start included), remove the folder made for it.

    Workers inherit this exit hook; only the master that made the folder acts on it. A
    master started by USR2 gets Gunicorn's original environment, so it makes its own.
    """
    if os.getpid() == master_pid:
        shutil.rmtree(path, ignore_errors=True)


if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="automotive-chat-metrics-")
    atexit.register(_remove_metrics_tmp, os.environ["PROMETHEUS_MULTIPROC_DIR"], os.getpid())

# ---------------------------------------------------------------- workers

bind = os.environ.get("BIND") or ("0.0.0.0:8000" if _production else "127.0.0.1:8000")
workers = int(os.environ.get("WORKERS") or 2)  # an empty value means the default, as in config.py


def _env_int(name: str, default: int) -> int:
    """An integer setting; empty or unset means the default, and 0 stays 0 (off)."""
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


# ---------------------------------------------------------------- recycling handshake

# A worker due to recycle waits this long for its replacement before it recycles anyway.
_REPLACEMENT_WAIT = 10.0
_recycle_path: Path | None = None


def _recycle_dir() -> Path:
    """The folder of the recycling handshake, made by the master before its first fork.

    Workers inherit the path. A HUP runs this file again, so new workers get a new
    folder: the old workers are all being replaced then, and the master's count of
    workers is reset by the reload.
    """
    global _recycle_path
    if _recycle_path is None:
        _recycle_path = Path(tempfile.mkdtemp(prefix="automotive-chat-recycle-"))
        atexit.register(_remove_metrics_tmp, str(_recycle_path), os.getpid())
    return _recycle_path


# A recycling worker's marker file goes through these states, each name plus "-<pid>":
# "recycling": the worker holds the drain lock and has sent SIGTTIN to the master;
# "replacing": the master has counted one worker more for it (``nworkers_changed``);
# "replaced": a worker booted since (``post_worker_init``): the old one stops accepting.
_RECYCLE_STATES = ("recycling", "replacing", "replaced")


def _recycle_marker(state: str, pid: int) -> Path:
    return _recycle_dir() / f"{state}-{pid}"


def _advance_markers(old: str, new: str, oldest_only: bool) -> None:
    # A marker may vanish meanwhile: another new worker moved it, or its worker exited.
    markers: list[Path] = []
    with contextlib.suppress(FileNotFoundError):
        markers = sorted(_recycle_dir().glob(f"{old}-*"), key=lambda path: path.stat().st_mtime)
    for marker in markers[:1] if oldest_only else markers:
        with contextlib.suppress(FileNotFoundError):
            marker.rename(marker.with_name(new + marker.name[len(old) :]))


def _due_marker(age: int, pid: int) -> Path:
    # Named by the worker's age (Gunicorn numbers workers as it forks them): in name
    # order, the oldest comes first.
    return _recycle_dir() / f"due-{age:09d}-{pid}"


def _first_in_line(age: int, pid: int) -> bool:
    """Mark this worker due; True when no older worker due is still alive."""
    mine = _due_marker(age, pid)
    mine.touch()
    for marker in sorted(_recycle_dir().glob("due-*")):
        if marker == mine:
            return True
        try:
            os.kill(int(marker.name.rsplit("-", 1)[1]), 0)
        except ProcessLookupError:
            marker.unlink(missing_ok=True)  # its worker is gone
            continue
        except PermissionError:
            pass  # alive, as another user
        return False
    return True


def _own_rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class PatchedGeventWorker(GeventWorker):
    """The gevent worker, with the standard library patched in the master.

    An evented worker: a chat turn waits seconds on the model, and a sync worker
    would be held for the whole wait. Chosen by bench/concurrency.py (README,
    "Performance"): gevent held 500 streamed chats on 2 cores where 2 x 256 threads
    fell behind.

    Gunicorn's gevent worker calls ``monkey.patch_all()`` in each worker after the
    fork. With ``preload_app`` that is too late: the master has already imported the
    app, so locks made at import (the catalog's refresh lock; SQLAlchemy's pool when it
    runs dry) are real thread locks, and a request waiting on one freezes its whole
    worker; and urllib3 keeps the unpatched ``ssl.SSLContext``, so HTTPS calls to
    OpenRouter fail with RecursionError. Both failures were reproduced with Gunicorn's
    plain gevent worker; tests/server/test_gunicorn.py checks neither happens.

    Gunicorn calls ``setup()`` in the master while it reads its settings, before it
    preloads the app, and only when this worker class is the one in use (a
    ``--worker-class gthread`` on the command line never patches anything).

    The master gets everything but ``os``, ``signal`` and ``subprocess``: it manages
    workers with fork, SIGCHLD and waitpid, and gevent's versions of those only work
    while its event loop runs, which the master's signal loop does not do (a killed
    worker stayed a zombie and was never replaced). Each worker patches those three
    itself after the fork, as Gunicorn's gevent worker always does.
    """

    @classmethod
    def setup(cls) -> None:
        from gevent import monkey

        monkey.patch_all(os=False, signal=False, subprocess=False)

    def patch(self) -> None:
        from gevent.monkey import MonkeyPatchWarning

        with warnings.catch_warnings():
            # The union of both calls is what we want: the rest of the library, now.
            warnings.filterwarnings("ignore", "Patching more than once", MonkeyPatchWarning)
            super().patch()

    # ------------------------------------------------------------ recycling
    #
    # Gunicorn recycles a worker after ``max_requests`` (plus jitter) by stopping its
    # accept loop, letting its replies finish, and only once it has exited does the
    # master fork a replacement: for a whole drain (a reply takes seconds) the server has
    # one worker fewer. Two evenly loaded workers reach their counts together, so both
    # drained at once and for 5-6 s nothing accepted chats (bench/recycling.py, 1,000
    # chats of 5 s: p99 3-6 s above no recycling). Here a worker due to recycle
    #
    # 1. waits for any older worker also due (so a replacement that fills up fast
    #    does not overtake a worker waiting its turn), then takes the server's drain
    #    lock, so at most one worker drains at a time (the kernel releases it when the
    #    worker exits, whatever the way);
    # 2. asks the master for one worker more (SIGTTIN) and keeps accepting;
    # 3. stops accepting only once a new worker has booted, then drains as before.
    #
    # The master gives the extra worker back when the recycled one exits (``child_exit``).
    # Files in ``_recycle_dir()`` carry the handshake (see ``_RECYCLE_STATES``).

    #: False gives Gunicorn's own recycling (bench/recycling.py compares the two).
    replace_before_drain = True

    def init_process(self) -> None:
        # Gunicorn's own check never fires: ``recycle_due()`` decides instead.
        self.recycle_after = self.max_requests
        self.recycle_asked_at: float | None = None
        if self.replace_before_drain:
            self.max_requests = sys.maxsize
        super().init_process()

    def handle_request(self, listener_name, req, sock, addr):
        # Tried on the request that reaches the count; notify() retries once a second.
        if self.recycle_due(self.nr + 1) and self.nr + 1 == self.recycle_after:
            self.ask_for_replacement(self.nr + 1)
        return super().handle_request(listener_name, req, sock, addr)

    def notify(self) -> None:
        super().notify()
        if not self.replace_before_drain or not self.alive:
            return
        if self.recycle_asked_at is None:
            if self.recycle_due(self.nr):
                self.ask_for_replacement(self.nr)  # the drain lock may be free now
        elif _recycle_marker("replaced", self.pid).exists():
            self.log.info("Worker %s stops accepting: its replacement is serving", self.pid)
            self.alive = False
        elif time.monotonic() - self.recycle_asked_at > _REPLACEMENT_WAIT:
            # The master never answered (a TTIN lost with another one): recycle the
            # way Gunicorn does, the master replaces this worker once it has exited.
            self.log.warning("No replacement for worker %s; recycling it anyway", self.pid)
            self.alive = False

    def recycle_due(self, requests: int) -> bool:
        # By request count only: a worker's memory levels off (bench/recycling.py --growth:
        # 102 MB idle, 109 MB after 300 requests, 112-115 MB from 900 to 2,400), so a
        # memory limit would have nothing to catch that the count does not.
        return self.replace_before_drain and requests >= self.recycle_after

    def ask_for_replacement(self, requests: int) -> None:
        """Take the drain lock, then ask the master for a replacement (not if busy)."""
        try:
            if not _first_in_line(self.age, self.pid):
                return
            lock = os.open(_recycle_dir() / "drain.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            # No handshake possible: recycle as Gunicorn would rather than never.
            self.log.warning("Recycling worker %s without a replacement: %s", self.pid, exc)
            self.alive = False
            return
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)  # another worker is draining: keep serving until it is done
            return
        self._drain_lock = lock  # held (open) until this process exits
        _due_marker(self.age, self.pid).unlink(missing_ok=True)
        _recycle_marker("recycling", self.pid).touch()
        self.recycle_asked_at = time.monotonic()
        if os.getppid() != self.ppid:
            self.alive = False  # the master is gone; notify() exits too
            return
        self.log.info(
            "Recycling worker %s after %s requests (%s MiB); asking for its replacement",
            self.pid,
            requests,
            _own_rss_bytes() // 2**20,
        )
        os.kill(self.ppid, signal.SIGTTIN)


worker_class = PatchedGeventWorker
worker_connections = int(os.environ.get("WORKER_CONNECTIONS") or 1000)
preload_app = True
# Above OPENROUTER_READ_TIMEOUT (90 s by default) so a slow reply is not killed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or GUNICORN_TIMEOUT)
# A worker recycled by max_requests (or replaced on HUP) lets its streams finish.
graceful_timeout = timeout
keepalive = 5
backlog = 2048
# Recycling bounds a worker's memory over weeks; see PatchedGeventWorker for how a
# recycle keeps every worker slot accepting. 0 turns request-count recycling off.
max_requests = _env_int("MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("MAX_REQUESTS_JITTER", 50)
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
proc_name = "automotive_chat"
# Gunicorn's control socket serves from a thread, which in the patched master is a
# greenlet that would rarely run; and its default path (~/.gunicorn/gunicorn.ctl) is
# shared by every Gunicorn of the user. Signals (HUP, TERM, TTIN, TTOU, USR2) remain.
control_socket_disable = True

# Drop privileges after binding, only when asked (a systemd unit sets User= instead).
_user = os.environ.get("GUNICORN_USER", "").strip()
_group = os.environ.get("GUNICORN_GROUP", "").strip()
if _user:
    user = _user
if _group:
    group = _group
# No pid file unless asked: the systemd unit sets PIDFILE=/run/automotive-chat/gunicorn.pid
# (its RuntimeDirectory); anywhere the running user can write works.
pidfile = os.environ.get("PIDFILE", "").strip() or None

# ---------------------------------------------------------------- logs

loglevel = os.environ.get("LOG_LEVEL", "info").strip().lower() or "info"
accesslog = "-"
errorlog = "-"
# Response time in ms, the request id the app answered with (the same id is in the
# app's JSON log lines) and the worker's pid.
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s pid=%(p)s'
)


# ---------------------------------------------------------------- hooks

# The signals a worker handles. From just before a worker is forked until it has
# installed its own handlers, the child still runs the master's, which would swallow a
# TERM (or HUP, QUIT...) sent at that moment: the worker then ignored the shutdown and
# kept it waiting out graceful_timeout. Preloaded workers boot in milliseconds, so a
# stop right after a (re)start hit that window every time. The signals are blocked
# around the fork and delivered once the worker's handlers are in place.
_WORKER_SIGNALS = frozenset(
    {
        signal.SIGABRT,
        signal.SIGHUP,
        signal.SIGQUIT,
        signal.SIGINT,
        signal.SIGTERM,
        signal.SIGUSR1,
        signal.SIGUSR2,
        signal.SIGWINCH,
    }
)


def _unblock_worker_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _WORKER_SIGNALS)


# ---------------------------------------------------------------- a taken port

# Handed-over sockets: systemd socket activation, and the old master's on USR2.
_INHERITED_SOCKETS = ("LISTEN_FDS", "GUNICORN_FD")


def _shown_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if is_ipv6(host) else f"{host}:{port}"


def _port_is_taken(host: str, port: int, reuse_port: bool) -> bool:
    """Whether binding (host, port) as Gunicorn does would fail with "address in use".

    The same options as Gunicorn's listening sockets (gunicorn/sock.py): SO_REUSEADDR,
    so a port left in TIME_WAIT by a previous run counts as free, and SO_REUSEPORT with
    ``--reuse-port``, so a port shared on purpose with another such server is free too.
    Any other error (an unknown host, a privileged port) is left to Gunicorn to report.
    """
    family = socket.AF_INET6 if is_ipv6(host) else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port and hasattr(socket, "SO_REUSEPORT"):
            try:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            except OSError as exc:
                if exc.errno not in (errno.ENOPROTOOPT, errno.EINVAL):
                    raise
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def _addresses_in_use(cfg) -> list[tuple[str, int]]:
    """The configured TCP addresses another process already listens on.

    Only addresses Gunicorn will bind itself: not sockets handed over in the environment,
    not ``fd://N`` binds, and not ``unix:/path`` binds (Gunicorn replaces a stale socket
    file; a path that is not a socket gets Gunicorn's own error).
    """
    if any(os.environ.get(name) for name in _INHERITED_SOCKETS):
        return []
    return [
        address
        for address in cfg.address
        if isinstance(address, tuple) and _port_is_taken(*address, cfg.reuse_port)
    ]


def _free_port_near(host: str, reuse_port: bool) -> int:
    """A port from 8080 up that is free on this host right now (8080 if none of 20 is)."""
    for port in range(8080, 8100):
        if not _port_is_taken(host, port, reuse_port):
            return port
    return 8080


def _refuse_to_start(server, reason: str) -> None:
    """Exit with one line on stderr (status 1), leaving no pid file behind."""
    if server.pidfile is not None:
        server.pidfile.unlink()
    sys.exit(reason)


def on_starting(server):
    """Refuse to start, in one line, on a missing setting or a taken port; reset metrics.

    Gunicorn itself retries a taken address five times, one second apart, logging
    "Connection in use" each time, before it gives up: checked here first instead.
    HUP does not come here (only a new master does), so a running server never trips
    over its own listening socket.
    """
    from pathlib import Path

    from config import ConfigError, from_env

    try:
        instance = os.environ.get("INSTANCE_PATH") or Path(__file__).resolve().parent / "instance"
        from_env(os.environ, str(instance))
    except ConfigError as exc:
        _refuse_to_start(server, f"automotive-chat: configuration error: {exc}")
    taken = _addresses_in_use(server.cfg)
    if taken:
        shown = ", ".join(_shown_address(host, port) for host, port in taken)
        free = _free_port_near(taken[0][0], server.cfg.reuse_port)
        _refuse_to_start(
            server,
            f"error: {shown} {'is' if len(taken) == 1 else 'are'} already in use; "
            f"pick another port: make run PORT={free} (or set BIND=host:port)",
        )
    # Once per master (not again on HUP): the master takes its signals back after forking.
    os.register_at_fork(after_in_parent=_unblock_worker_signals)
    # Samples of a previous run would be added to this one's. A master started by
    # USR2 (GUNICORN_PID set) shares a folder given in the environment with the old
    # master's live workers: it is left as it is.
    if "GUNICORN_PID" not in os.environ:
        directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink(missing_ok=True)


def when_ready(server):
    """Let start-up greenlets finish in the master, then print where the app can be opened."""
    if issubclass(server.worker_class, GeventWorker):
        import gevent

        # Preloading may start short-lived "threads" (greenlets here), such as the
        # in-memory rate-limit storage's 10 ms timer: they finish now, not in a worker.
        gevent.sleep(0.1)
    host, _, port = bind.rpartition(":")
    # Only the URL printed, not a bind.
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104  # nosec B104
    server.log.info("Automotive Chat Assistant is running at http://%s:%s/", shown, port)


def pre_fork(server, worker):
    """Hold the worker's signals until its handlers exist (see _WORKER_SIGNALS).

    Also makes the recycling folder before the first fork, owned by the workers' user.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, _WORKER_SIGNALS)
    if _recycle_path is None:
        os.chown(_recycle_dir(), server.cfg.uid, server.cfg.gid)


def post_worker_init(worker):
    """The worker's handlers are installed: let held signals in.

    A worker waiting for its replacement learns here that one is about to accept.
    """
    _unblock_worker_signals()
    if _recycle_path is not None:
        _advance_markers("replacing", "replaced", oldest_only=False)


def nworkers_changed(server, new_value, old_value):
    """A SIGTTIN from a recycling worker: note that its extra worker is counted.

    An operator's TTIN at the same moment may be the one noted; the count still adds up,
    as each recycled worker gives back one and the operator's stays.
    """
    if _recycle_path is not None and old_value is not None and new_value == old_value + 1:
        _advance_markers("recycling", "replacing", oldest_only=True)


def post_fork(server, worker):
    """Give the new worker its own database connections and cooperative PostgreSQL calls.

    Redis clients need nothing: redis-py opens new connections when it sees a new pid.
    The model catalog, rate-limit memory and metrics are per process already.
    """
    if isinstance(worker, GeventWorker):
        # Let PostgreSQL queries yield to other chats instead of blocking the worker.
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()
    if server.cfg.preload_app:
        app = server.app.wsgi()
        if hasattr(app, "app_context"):
            from models import db

            with app.app_context():
                for engine in db.engines.values():
                    # Forget (never close) connections the master may have opened:
                    # they belong to the master's sockets.
                    engine.dispose(close=False)


def child_exit(server, worker):
    """Fold a finished worker's metrics into the archive and drop its live gauges.

    A recycled worker gives back the extra worker it was counted (not after a HUP,
    which reset the count: then its marker is in the previous folder).
    """
    import observability

    observability.retire_worker(worker.pid)
    if _recycle_path is None:
        return
    for due in _recycle_dir().glob(f"due-*-{worker.pid}"):
        due.unlink(missing_ok=True)
    counted = False
    for state in _RECYCLE_STATES:
        marker = _recycle_marker(state, worker.pid)
        if marker.exists():
            marker.unlink(missing_ok=True)
            counted = state != "recycling"
    if counted and server.num_workers > server.cfg.workers:
        server.num_workers -= 1
