"""Gunicorn settings for Passerelle, read from the environment.

Run with ``gunicorn -c deploy/gunicorn.conf.py`` (the WSGI app defaults to ``config.wsgi``, whose
default settings module is ``config.settings.production``). nginx sits in front: it buffers slow
clients and large uploads, serves /static/ and the X-Accel-Redirect downloads, so the workers only
see complete requests.

Environment:
    GUNICORN_BIND          address to listen on (default 0.0.0.0:8000; PORT alone also works)
    GUNICORN_WORKERS       worker processes (default 2 x usable cores + 1)
    GUNICORN_THREADS       threads per worker (default 4)
    GUNICORN_TIMEOUT       seconds a worker may stay silent before it is restarted (default 60)
    GUNICORN_MAX_REQUESTS  recycle a worker after this many requests, 0 to never (default 2000)
    FORWARDED_ALLOW_IPS    proxies trusted for X-Forwarded-* (default 127.0.0.1,::1; "*" only
                           where nothing but the proxy can reach gunicorn, as in docker-compose)
    LOG_LEVEL              gunicorn's error-log level (default info)

Sizing: each request holds one thread and one PostgreSQL connection (CONN_MAX_AGE keeps it),
so workers x threads is the number of searches that run at once; a search waits on PostgreSQL
most of its time, which is why threads help. The search benchmark (docs/benchmarks.md) runs 2
workers x 4 threads on 2 cores. Keep workers x threads per web container, summed over the
containers, below PostgreSQL's max_connections. Every search is cut at
SEARCH_STATEMENT_TIMEOUT_MS (503, error.code search_timeout), so a slow one holds its thread for
a bounded time; more web containers behind nginx, and a read replica for searches
(DATABASE_REPLICA_URL), scale out from there.
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _usable_cores() -> int:
    # sched_getaffinity honours CPU pinning (taskset, cpusets); cpu_count() would not.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


wsgi_app = "config.wsgi:application"

bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"]
backlog = 2048

# Threads let one worker overlap requests waiting on PostgreSQL, Redis or the disk.
# Downloads (whole files and byte ranges alike) leave through sendfile(2), which runs without
# the GIL: a thread sending a file costs no CPU in Python, so threads, not more processes, are
# what lets one worker serve many parallel ranges; processes sized to the cores keep the
# CPU-bound requests (search, JSON) from queueing behind one GIL. Behind nginx,
# DOWNLOAD_X_ACCEL_REDIRECT_PREFIX hands the bytes to nginx instead and frees the thread at once
# (benchmarks/download.py compares both with nginx serving the file statically).
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", 2 * _usable_cores() + 1)
threads = _int("GUNICORN_THREADS", 4)

# A gthread worker keeps notifying the arbiter while its threads serve requests, so `timeout`
# restarts hung processes, not long requests; nginx's proxy timeouts bound those.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than nginx's upstream keepalive_timeout, so gunicorn never closes a connection nginx
# is about to reuse.
keepalive = _int("GUNICORN_KEEPALIVE", 75)

# Recycle workers now and then, with jitter so they do not all restart at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10

# The heartbeat file on tmpfs: a disk-backed /tmp can block workers (Docker's overlay does).
if os.path.isdir("/dev/shm"):  # noqa: S108 - a directory choice, not a temporary file
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# nginx sets X-Forwarded-Proto; only the proxies listed here are believed.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The runtime control socket (gunicorn 25+) would need a writable $HOME; off unless asked for.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# Logs go to stdout/stderr for the container runtime; the access log carries nginx's request id.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}i)s '
    'forwarded_for="%({x-forwarded-for}i)s" agent="%(a)s"'
)

proc_name = "passerelle-web"
