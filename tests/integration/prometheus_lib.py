# SPDX-License-Identifier: MIT
"""Helpers for the Prometheus exporter tests: HTTP, the text format, a
Prometheus server's API. Imported by the t5xx scripts, not run."""

import http.client
import json
import os
import re
import socket
import time
import urllib.parse
import urllib.request


def request(host, port, method="GET", path="/metrics", headers=None, timeout=5):
    """One request on a fresh connection: (status, headers, body)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')


def parse_labels(text):
    """'a="x",b="y\\"z"' -> {'a': 'x', 'b': 'y"z'}, undoing the escapes."""
    labels, i = {}, 0
    while i < len(text):
        eq = text.index("=", i)
        name = text[i:eq]
        assert text[eq + 1] == '"', text
        j, value = eq + 2, []
        while text[j] != '"':
            if text[j] == "\\":
                value.append({"n": "\n", "\\": "\\", '"': '"'}[text[j + 1]])
                j += 2
            else:
                value.append(text[j])
                j += 1
        labels[name] = "".join(value)
        i = j + 1
        if i < len(text):
            assert text[i] == ",", text
            i += 1
    return labels


def parse(text):
    """The text format -> ({(name, frozenset(labels)): value}, {name: type}),
    checking one HELP and TYPE per family, right before its samples."""
    samples, types, current = {}, {}, None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            current = line.split(" ")[2]
            assert current not in types, f"{current}: a second HELP"
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name == current, f"TYPE {name} after HELP {current}"
            types[name] = kind
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample: {line!r}"
        name, _, labels, value = m.groups()
        assert name == current, f"sample of {name} inside family {current}"
        key = (name, frozenset(parse_labels(labels or "").items()))
        assert key not in samples, f"duplicate sample {line}"
        samples[key] = float(value)
    return samples, types


def scrape(host, port, timeout=5):
    status, headers, body = request(host, port, timeout=timeout)
    assert status == 200, status
    return parse(body.decode("utf-8"))[0]


def value(samples, metric, /, **labels):
    """The one sample of @metric whose labels include @labels."""
    found = [v for (n, ls), v in samples.items() if n == metric and set(labels.items()) <= ls]
    assert len(found) == 1, f"{metric} {labels}: {len(found)} samples"
    return found[0]


def wait_reports(host, port, n, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if value(scrape(host, port), "vpowercap_reports_total") >= n:
                return
        except (OSError, AssertionError, http.client.HTTPException):
            pass
        time.sleep(0.1)
    raise SystemExit(f"{host}:{port}: fewer than {n} reports after {timeout} s")


def listening_ports(pid):
    """TCP ports process @pid listens on, from /proc (no ss or netstat)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes:  # LISTEN
                ports.add(int(f[1].rsplit(":", 1)[1], 16))
    return sorted(ports)


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def prom_query(base, query, at=None):
    """An instant query through a Prometheus server's HTTP API."""
    args = {"query": query}
    if at is not None:
        args["time"] = str(at)
    url = base + "/api/v1/query?" + urllib.parse.urlencode(args)
    with urllib.request.urlopen(url, timeout=10) as resp:
        data = json.load(resp)
    assert data["status"] == "success", data
    return [(r["metric"], float(r["value"][1])) for r in data["data"]["result"]]


def connect_from(source, host, port, timeout=3):
    """A TCP connection to host:port from address @source."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    return s
