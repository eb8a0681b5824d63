"""Gunicorn's settings for dangbo in production (`make serve`, deploy/dangbo.service, the Dockerfile).

Each one can be changed from the environment without editing this file: DANGBO_BIND,
DANGBO_WORKERS, DANGBO_THREADS, DANGBO_TIMEOUT, DANGBO_ACCESS_LOG.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


wsgi_app = "dangbo.wsgi:application"
# Loopback by default: a reverse proxy in front (deploy/Caddyfile, deploy/nginx.conf) serves HTTPS.
bind = os.environ.get("DANGBO_BIND", "127.0.0.1:8000")

# Processes for the CPU-bound part of a page (templates, tallies), threads for the time a request
# waits on the database or on a slow client: two processes per core plus one, as gunicorn advises,
# at most eight (the database, SQLite above all, gains nothing from more writers), each with 4 threads.
workers = _int("DANGBO_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8))
worker_class = "gthread"
threads = _int("DANGBO_THREADS", 4)

# A report with its figures or an import preview takes seconds; a request still running after a
# minute is stuck, and its worker is replaced. On restart, requests in progress get 30 s to finish.
timeout = _int("DANGBO_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5
# Each worker is replaced after about a thousand requests (at different moments, thanks to the
# jitter), so memory a long run may accumulate is given back without a restart anyone notices.
max_requests = 1000
max_requests_jitter = 100

# The application is loaded once, before the workers are forked: a refused start (dangbo/wsgi.py)
# stops the server at once with its one message instead of workers failing one after another, and
# the workers share the loaded code's memory.
preload_app = True
# Gunicorn's runtime control socket is not used; several instances on one machine would share it.
control_socket_disable = True

# One line per request on the standard output (journald under systemd, `docker logs` in a container),
# with the time taken in milliseconds; errors on the standard error. "-" is the standard output.
accesslog = os.environ.get("DANGBO_ACCESS_LOG", "-")
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Behind the proxy on the same machine, the client's address is in X-Forwarded-For (dangbo reads it
# when TRUSTED_PROXY_HEADER says so); gunicorn trusts X-Forwarded-Proto from loopback only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
