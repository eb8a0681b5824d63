"""Load test of the production server over loopback: gunicorn with DANGBO_ENV=production, driven by
simulated browsers (threads, http.client, their own cookies, the forms' CSRF and one-time tokens).

It prepares the database (`manage.py migrate`, `collectstatic`, `load_demo` into the SQLite file
bench-load.sqlite3, or into the PostgreSQL database of --database-url), starts gunicorn on a free
port of 127.0.0.1 with a generated SECRET_KEY, waits for it, then runs:

- people: --people simulated people (default 50: a tenth `khoi`, three tenths `coso`, the rest
  `chibo`, as the demo's personas, password "demo") log in, arriving over --ramp seconds (logins are
  reported on their own line: a password hash costs a few hundred ms by design), then click for
  --duration seconds (default 60), each waiting uniformly 5–10 s between clicks, through a weighted
  mix of its role's pages (overview, member search and pages, meetings, ratings, targets, tasks,
  reports, the report board, notifications…) and three writes that are safe to repeat (a task's
  progress note, saving a draft report, marking the notifications read), each sent through the form
  the page drew. Counted: the clicks begun in the window; reported: count, errors (any status other
  than 2xx/3xx, any exception), p50/p95/p99 overall and per page.
- saturation: closed-loop clients with no waiting between clicks, the same mix, stepping the
  concurrency (--steps, default 1, 2, 4, 8, 16, 32) for --step-seconds each (default 15); reported:
  requests/s, p50/p95/p99 and errors per step, and the highest rate with p99 ≤ 500 ms.
- pages: each page of the mix requested --runs times in a row by one client per persona on the idle
  server: the single-request time of each page (median, min).

On PostgreSQL each worker thread keeps its connection (DB_CONN_MAX_AGE, --conn-max-age, default 60 s).
The load generator runs on the same machine as the server and takes some of its CPU.

    .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --form saturation --steps 1,2,4,8
    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/dangbo_load
    .venv/bin/python bench/load.py --gunicorn-config deploy/gunicorn.conf.py
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from overview import ensure_postgres_database, percentile  # noqa: E402

HOST = "127.0.0.1"
PASSWORD = "demo"
P99_GOAL_MS = 500
# Who the simulated people are: few committee staff, more grassroots staff, mostly cell secretaries.
PERSONAS = [("khoi", 0.1), ("coso", 0.3), ("chibo", 0.6)]
SEARCHES = ["Nguyễn", "Trần", "Lê Văn", "Phạm Thị", "Hoàng", "Minh", "Hương", "Tuấn", "Lan", "Đức"]
# Pages whose addresses are found in the pages a person has seen (a member, a task, a report, a meeting).
FOUND = {
    "member": re.compile(r'href="(/dang-vien/\d+/(?:\?[^"#]*)?)"'),
    "unit": re.compile(r'href="(/to-chuc/\d+/(?:\?[^"#]*)?)"'),
    "task": re.compile(r'href="(/nhiem-vu/\d+/)"'),
    "report": re.compile(r'href="(/bao-cao/\d+/)"'),
    "meeting": re.compile(r'href="(/sinh-hoat/\d+/)"'),
}
# A page of the list that leads to a found page, clicked when none is known yet.
LIST_OF = {"member": "/dang-vien/", "unit": "/", "task": "/nhiem-vu/", "report": "/bao-cao/", "meeting": "/sinh-hoat/"}
LABEL_OF = {kind: f"/{'to-chuc' if kind == 'unit' else LIST_OF[kind].strip('/')}/<id>/" for kind in LIST_OF}

# The mix of clicks of each role: (label, weight). A label is a fixed page, "search", a found page
# (FOUND), or a write ("write: …").
READS = {
    "/": "/",
    "/dang-vien/": "/dang-vien/",
    "/sinh-hoat/": "/sinh-hoat/",
    "/xep-loai/": "/xep-loai/",
    "/xep-loai/dot/": "/xep-loai/dot/",
    "/chi-tieu/": "/chi-tieu/",
    "/nhiem-vu/": "/nhiem-vu/",
    "/nhiem-vu/bang/": "/nhiem-vu/bang/",
    "/bao-cao/": "/bao-cao/",
    "/bao-cao/theo-doi/": "/bao-cao/theo-doi/",
    "/thong-bao/": "/thong-bao/",
    "/ket-nap/": "/ket-nap/",
}
STAFF_MIX = [
    ("/", 14), ("unit", 4), ("/dang-vien/", 5), ("search", 8), ("member", 10), ("/sinh-hoat/", 6), ("meeting", 3),
    ("/xep-loai/", 5), ("/xep-loai/dot/", 2), ("/chi-tieu/", 5), ("/nhiem-vu/", 7), ("/nhiem-vu/bang/", 2),
    ("task", 6), ("/bao-cao/", 8), ("/bao-cao/theo-doi/", 6), ("report", 5), ("/thong-bao/", 3), ("/ket-nap/", 2),
    ("write: task progress", 3), ("write: report saved", 2), ("write: notifications read", 1),
]  # fmt: skip
CELL_MIX = [
    ("/", 16), ("/dang-vien/", 8), ("search", 6), ("member", 12), ("/sinh-hoat/", 10), ("meeting", 6),
    ("/xep-loai/", 5), ("/chi-tieu/", 4), ("/nhiem-vu/", 8), ("task", 8), ("/bao-cao/", 6), ("report", 3),
    ("/thong-bao/", 3), ("/ket-nap/", 2),
    ("write: task progress", 4), ("write: report saved", 2), ("write: notifications read", 1),
]  # fmt: skip
MIX = {"khoi": STAFF_MIX, "coso": STAFF_MIX, "chibo": CELL_MIX}


# --- the server -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def server_environment(database_url: str, port: int, conn_max_age: int = 60) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DANGBO_ENV": "production",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SITE_URL": f"http://{HOST}:{port}",
        "ALLOWED_HOSTS": HOST,
        "DJANGO_SETTINGS_MODULE": "dangbo.settings",
        "PYTHONUNBUFFERED": "1",
        # PostgreSQL: each worker thread keeps its connection instead of opening one per request.
        "DB_CONN_MAX_AGE": str(conn_max_age),
        # The simulated people share three accounts and sign in many times a minute: an
        # authenticator's code is good once, so the second step is left out of the measure.
        "TWO_FACTOR_REQUIRED": "0",
    }


def prepare_database(env: dict) -> None:
    """Migrate, collect the static files, load the demo when the database is empty."""
    python = sys.executable
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"], ["load_demo"]):
        start = time.perf_counter()
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"  manage.py {command[0]}: {time.perf_counter() - start:.1f} s", flush=True)


def start_server(env: dict, port: int, args) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "dangbo.wsgi:application", "--bind", f"{HOST}:{port}"]
    if args.gunicorn_config:
        command += ["--config", args.gunicorn_config]
    else:
        command += ["--workers", str(args.workers), "--worker-class", "gthread", "--threads", str(args.threads),
                    "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning"]  # fmt: skip
    print("  " + " ".join(command[1:]), flush=True)
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped with status {server.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/dang-nhap/")
            if connection.getresponse().status == 200:
                connection.close()
                return server
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(server)
    sys.exit("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- a browser ----------------------------------------------------------------------------------------


class Forms(HTMLParser):
    """The forms of a page: for each, its attributes, the fields a browser would send (text, hidden,
    checked boxes, selected options, textareas) and its submit buttons."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = self._textarea = self._select = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"attrs": a, "fields": [], "buttons": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "image"):
                self._form["buttons"].append((a["name"], a.get("value", "")))
            elif kind not in ("checkbox", "radio", "file") or (kind != "file" and "checked" in a):
                self._form["fields"].append([a["name"], a.get("value", "")])
        elif tag == "button" and a.get("type", "submit") == "submit" and a.get("name"):
            self._form["buttons"].append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
            self._form["fields"].append(self._textarea)
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None]
            self._form["fields"].append(self._select)
            self._form.setdefault("options", {})[a["name"]] = []
        elif tag == "option" and self._select is not None:
            if self._select[1] is None or "selected" in a:
                self._select[1] = a.get("value", "")
            self._form["options"][self._select[0]].append(a.get("value", ""))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def posting_to(self, path: str) -> dict | None:
        """The form that posts to the page itself (`path`), not, say, the header's logout button."""
        return next(
            (f for f in self.forms if f["attrs"].get("method", "").lower() == "post"
             and f["attrs"].get("action", path) in ("", path)),
            None,
        )  # fmt: skip

    def with_button(self, name: str, value: str) -> dict | None:
        return next((f for f in self.forms if (name, value) in f["buttons"]), None)


@dataclass
class Sample:
    label: str
    started: float  # time.monotonic()
    ms: float
    status: int  # 0: an exception
    error: str = ""


@dataclass
class Browser:
    """One person's browser: a keep-alive connection, cookies, the addresses seen in its pages."""

    port: int
    samples: list = field(default_factory=list)
    cookies: dict = field(default_factory=dict)
    found: dict = field(default_factory=lambda: defaultdict(set))
    connection: http.client.HTTPConnection | None = None

    def request(self, label: str, method: str, path: str, data: list | None = None, *, keep: bool = True):
        """Send one request; record it under `label` (unless keep=False); return (status, headers, text)."""
        body = urlencode(data).encode() if data is not None else None
        headers = {"Host": f"{HOST}:{self.port}", "User-Agent": "dangbo-load"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{HOST}:{self.port}"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
        start = time.monotonic()
        status, text, response_headers, error = 0, "", [], ""
        for attempt in range(2):
            reused = self.connection is not None
            if self.connection is None:
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                status, response_headers = response.status, response.getheaders()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                # The server closed an idle keep-alive connection: the request never reached it.
                self.connection.close()
                self.connection = None
                if not reused or attempt:
                    error = f"{type(exc).__name__}: {exc}"
                    break
            except (OSError, http.client.HTTPException) as exc:
                self.connection.close()
                self.connection = None
                error = f"{type(exc).__name__}: {exc}"
                break
        ms = (time.monotonic() - start) * 1000
        for name, value in response_headers:
            if name.lower() == "set-cookie":
                for key, morsel in SimpleCookie(value).items():
                    self.cookies[key] = morsel.value
        if status >= 400:
            error = f"HTTP {status} {method} {path}"
        elif not label.startswith("login") and dict(response_headers).get("Location", "").startswith("/dang-nhap/"):
            error = f"sent to the login page: {method} {path}"  # the session was lost
        if keep:
            self.samples.append(Sample(label, start, ms, status, error))
        for kind, pattern in FOUND.items():
            self.found[kind].update(unescape(link) for link in pattern.findall(text))
        return status, dict((k.lower(), v) for k, v in response_headers), text

    def get(self, label: str, path: str, *, keep: bool = True):
        return self.request(label, "GET", path, keep=keep)

    def submit(self, label: str, path: str, form: dict, button: tuple[str, str] | None = None,
               changes: dict | None = None, *, keep: bool = True) -> tuple[int, str]:  # fmt: skip
        """Post `form` as drawn (with its CSRF and one-time tokens), with `changes`, then follow the
        redirect as a browser does (recorded as the page it leads to)."""
        fields = [(k, v) for k, v in form["fields"] if k not in (changes or {})]
        fields += list((changes or {}).items()) + ([button] if button else [])
        target = form["attrs"].get("action") or path
        status, headers, text = self.request(label, "POST", target, fields, keep=keep)
        if 300 <= status < 400 and headers.get("location"):
            location = urlsplit(headers["location"])
            after = location.path + (f"?{location.query}" if location.query else "")
            text = self.get(f"{label} → page", after, keep=keep)[2]
        return status, text

    def log_in(self, username: str, *, keep: bool = True) -> bool:
        _, _, html = self.get("login form", "/dang-nhap/?next=/", keep=keep)
        form = Forms(html).posting_to("/dang-nhap/")
        if form is None:
            return False
        status, _ = self.submit("login", "/dang-nhap/", form, changes={"username": username, "password": PASSWORD},
                                keep=keep)  # fmt: skip
        return status == 302

    def close(self):
        if self.connection is not None:
            self.connection.close()


@dataclass
class Person:
    """A persona's clicks through its role's mix."""

    browser: Browser
    username: str
    rng: random.Random
    think: tuple[float, float] | None = None  # seconds between clicks (None: no waiting)
    # Found pages that turned out to have no form for the write (not the person's task).
    unwritable: set = field(default_factory=set)

    def pause(self) -> None:
        if self.think:
            time.sleep(self.rng.uniform(*self.think))

    def click(self, keep: bool = True) -> None:
        labels, weights = zip(*MIX[self.username])
        label = self.rng.choices(labels, weights)[0]
        b = self.browser
        if label in READS:
            b.get(label, READS[label], keep=keep)
        elif label == "search":
            b.get("/dang-vien/?q=…", f"/dang-vien/?q={quote(self.rng.choice(SEARCHES))}", keep=keep)
        elif label in FOUND:
            known = sorted(b.found[label])
            if known:
                b.get(LABEL_OF[label], self.rng.choice(known), keep=keep)
            else:
                b.get(LIST_OF[label], LIST_OF[label], keep=keep)
        elif label == "write: notifications read":
            _, _, html = b.get("/thong-bao/", "/thong-bao/", keep=keep)
            form = Forms(html).posting_to("/thong-bao/")
            if form is not None:
                b.submit(label, "/thong-bao/", form, keep=keep)
        elif label == "write: report saved":
            # Open (or reopen) the report of the running period of one of the unit's report types,
            # then save its draft as it stands.
            _, _, html = b.get("/bao-cao/", "/bao-cao/", keep=keep)
            opening = [f for f in Forms(html).forms if f["attrs"].get("action") == "/bao-cao/lap/"
                       and f.get("options", {}).get("ky")]  # fmt: skip
            if not opening:
                return
            form = self.rng.choice(opening)
            _, html = b.submit("write: report opened", "/bao-cao/", form, changes={"ky": form["options"]["ky"][0]},
                               keep=keep)  # fmt: skip
            form = Forms(html).with_button("action", "save")
            if form is not None:
                self.pause()
                b.submit(label, "/bao-cao/", form, ("action", "save"), keep=keep)
        else:  # write: task progress, on a task of the person's unit
            known = sorted(b.found["task"] - self.unwritable)
            if not known:
                b.get(LIST_OF["task"], LIST_OF["task"], keep=keep)
                return
            path = self.rng.choice(known)
            _, _, html = b.get(LABEL_OF["task"], path, keep=keep)
            form = Forms(html).with_button("action", "progress")
            if form is None:
                self.unwritable.add(path)
                return
            self.pause()
            b.submit(label, path, form, ("action", "progress"), {"note": "Đã triển khai, đang tiếp tục theo dõi."},
                     keep=keep)  # fmt: skip


def personas(count: int, rng: random.Random) -> list[str]:
    """`count` usernames in the personas' proportions (at least one of each when count ≥ 3)."""
    names = [name for name, share in PERSONAS for _ in range(max(1, round(share * count)))]
    while len(names) > count:
        names.remove(max(set(names), key=names.count))
    while len(names) < count:
        names.append(PERSONAS[-1][0])
    rng.shuffle(names)
    return names


# --- the forms of the test -------------------------------------------------------------------------------


def people(port: int, count: int, duration: float, ramp: float, think: tuple[float, float], seed: int):
    """`count` people arrive over `ramp` seconds and log in, then click with think time; the clicks
    begun in [ramp, ramp + duration) are counted. Returns (clicks, logins)."""
    rng = random.Random(seed)
    names = personas(count, rng)
    start = time.monotonic()
    window = (start + ramp, start + ramp + duration)
    browsers = []

    def run(name: str, arrival: float, person_seed: int):
        person_rng = random.Random(person_seed)
        browser = Browser(port)
        browsers.append(browser)
        time.sleep(max(0.0, start + arrival - time.monotonic()))
        if not browser.log_in(name):
            browser.samples.append(Sample("login", time.monotonic(), 0, 0, "login refused"))
            return
        person = Person(browser, name, person_rng, think)
        while True:
            pause = person_rng.uniform(*think)
            if time.monotonic() + pause >= window[1]:
                break
            time.sleep(pause)
            person.click()
        browser.close()

    threads = [threading.Thread(target=run, args=(name, rng.uniform(0, ramp * 0.8), rng.randrange(2**32)))
               for name in names]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples = [s for b in browsers for s in b.samples]
    logins = [s for s in samples if s.label.startswith("login")]
    clicks = [s for s in samples if not s.label.startswith("login") and window[0] <= s.started < window[1]]
    return clicks, logins


def saturation(port: int, steps: list[int], seconds: float, seed: int) -> list[dict]:
    """Closed-loop clients without think time, `steps` of concurrency; one line per step."""
    rng = random.Random(seed)
    names = personas(max(steps), rng)
    persons = []
    print(f"  logging in {len(names)} clients…", flush=True)
    for name in names:
        browser = Browser(port)
        if not browser.log_in(name, keep=False):
            sys.exit(f"{name} could not log in")
        person = Person(browser, name, random.Random(rng.randrange(2**32)))
        for _ in range(3):  # a few clicks first, so that found pages are known
            person.click(keep=False)
        persons.append(person)
    results = []
    for clients in steps:
        stop = time.monotonic() + seconds
        for person in persons[:clients]:
            person.browser.samples = []

        def loop(person: Person, stop: float):
            while time.monotonic() < stop:
                person.click()

        threads = [threading.Thread(target=loop, args=(p, stop)) for p in persons[:clients]]
        begun = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - begun
        samples = [s for p in persons[:clients] for s in p.browser.samples]
        times = [s.ms for s in samples]
        line = {
            "clients": clients,
            "requests": len(samples),
            "rps": len(samples) / elapsed,
            "errors": sum(1 for s in samples if s.error),
            "p50": percentile(times, 50) if times else 0,
            "p95": percentile(times, 95) if times else 0,
            "p99": percentile(times, 99) if times else 0,
        }
        results.append(line)
        print(f"  {clients:3} clients: {line['rps']:6.1f} req/s  p50 {line['p50']:7.0f} ms  p99 {line['p99']:7.0f} ms  "
              f"errors {line['errors']}", flush=True)  # fmt: skip
    for person in persons:
        person.browser.close()
    return results


def pages(port: int, runs: int) -> dict:
    """Each fixed page of the mix, and one found page of each kind, `runs` times in a row per persona."""
    lines = {}
    for name, _ in PERSONAS:
        browser = Browser(port)
        if not browser.log_in(name, keep=False):
            sys.exit(f"{name} could not log in")
        for path in LIST_OF.values():
            browser.get("", path, keep=False)
        paths = [(label, path) for label, path in READS.items()]
        paths.append(("/dang-vien/?q=…", f"/dang-vien/?q={quote('Nguyễn')}"))
        paths += [(LABEL_OF[kind], sorted(browser.found[kind])[0]) for kind in FOUND if browser.found[kind]]
        for label, path in paths:
            browser.get(label, path, keep=False)  # warm
            browser.samples = []
            for _ in range(runs):
                browser.get(label, path)
            times = [s.ms for s in browser.samples]
            lines[(name, label)] = (statistics.median(times), min(times), browser.samples[-1].status)
        browser.close()
    return lines


# --- the report ------------------------------------------------------------------------------------------


def table(samples: list[Sample], title: str) -> None:
    by_label = defaultdict(list)
    for s in samples:
        by_label[s.label].append(s)
    print(f"\n{title}")
    print(f"  {'page':38} {'count':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")

    def row(label, group):
        times = [s.ms for s in group]
        errors = sum(1 for s in group if s.error)
        print(f"  {label:38} {len(group):6} {errors:6} {percentile(times, 50):8.0f} {percentile(times, 95):8.0f} "
              f"{percentile(times, 99):8.0f} {max(times):8.0f}")  # fmt: skip

    for label in sorted(by_label, key=lambda k: -percentile([s.ms for s in by_label[k]], 50)):
        row(label, by_label[label])
    if samples:
        row("all", samples)
    errors = [s for s in samples if s.error]
    for message, count in sorted(_count(s.error for s in errors).items(), key=lambda kv: -kv[1])[:10]:
        print(f"  error ×{count}: {message}")


def _count(values) -> dict:
    counts = defaultdict(int)
    for value in values:
        counts[value] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="default: the SQLite file bench-load.sqlite3")
    parser.add_argument("--form", choices=["people", "saturation", "both", "pages"], default="both")
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60, help="seconds of clicks counted (people)")
    parser.add_argument("--ramp", type=float, default=30, help="seconds over which the people arrive and log in")
    parser.add_argument("--think", default="5,10", help="seconds between clicks, min,max (people)")
    parser.add_argument("--steps", default="1,2,4,8,16,32", help="concurrency steps (saturation)")
    parser.add_argument("--step-seconds", type=float, default=15)
    parser.add_argument("--runs", type=int, default=7, help="requests of each page (pages)")
    parser.add_argument("--gunicorn-config", default=None, help="a gunicorn config file instead of the flags below")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--conn-max-age", type=int, default=60, help="DB_CONN_MAX_AGE of the server (PostgreSQL)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    database_url = args.database_url or f"sqlite:///{ROOT / 'bench-load.sqlite3'}"
    if database_url.startswith("postgres"):
        ensure_postgres_database(database_url)
    port = args.port or free_port()
    env = server_environment(database_url, port, args.conn_max_age)
    vendor = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"database: {vendor} ({database_url}); {os.cpu_count()} cores", flush=True)
    prepare_database(env)
    server = start_server(env, port, args)
    try:
        if args.form == "pages":
            lines = pages(port, args.runs)
            print(f"\nsingle requests, {args.runs} in a row, idle server ({vendor})")
            print(f"  {'persona':7} {'page':24} {'median ms':>10} {'min ms':>8}")
            for (name, label), (median, least, status) in lines.items():
                print(
                    f"  {name:7} {label:24} {median:10.1f} {least:8.1f}" + ("" if status < 400 else f"  HTTP {status}")
                )
        if args.form in ("people", "both"):
            think = tuple(float(x) for x in args.think.split(","))
            print(f"\npeople: {args.people} people arriving over {args.ramp:.0f} s, then {args.duration:.0f} s of "
                  f"clicks {think[0]:g}–{think[1]:g} s apart", flush=True)  # fmt: skip
            clicks, logins = people(port, args.people, args.duration, args.ramp, think, args.seed)
            table(logins, f"logins ({vendor})")
            table(clicks, f"clicks in the {args.duration:.0f} s window ({vendor}): "
                          f"{len(clicks) / args.duration:.1f} requests/s")  # fmt: skip
            p99 = percentile([s.ms for s in clicks], 99) if clicks else 0
            errors = sum(1 for s in clicks + logins if s.error)
            verdict = "met" if errors == 0 and p99 <= P99_GOAL_MS else "NOT met"
            print(f"  goal (0 errors, p99 ≤ {P99_GOAL_MS} ms): {verdict} — {errors} errors, p99 {p99:.0f} ms")
        if args.form in ("saturation", "both"):
            steps = [int(x) for x in args.steps.split(",")]
            print(f"\nsaturation: closed-loop clients, no waiting, {args.step_seconds:.0f} s a step", flush=True)
            results = saturation(port, steps, args.step_seconds, args.seed)
            print(f"\nsaturation ({vendor})")
            print(
                f"  {'clients':>7} {'requests':>8} {'req/s':>7} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
            )
            for r in results:
                print(f"  {r['clients']:7} {r['requests']:8} {r['rps']:7.1f} {r['errors']:6} {r['p50']:8.0f} "
                      f"{r['p95']:8.0f} {r['p99']:8.0f}")  # fmt: skip
            within = [r for r in results if r["p99"] <= P99_GOAL_MS and not r["errors"]]
            if within:
                best = max(within, key=lambda r: r["rps"])
                print(f"  saturation point: {best['rps']:.1f} requests/s with p99 ≤ {P99_GOAL_MS} ms "
                      f"({best['clients']} clients)")  # fmt: skip
            else:
                print(f"  no step kept p99 ≤ {P99_GOAL_MS} ms")
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
