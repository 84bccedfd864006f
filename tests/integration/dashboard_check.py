#!/usr/bin/env python3
"""Opens Cairn's dashboard in headless Chromium and checks that it shows a cluster.

    dashboard_check.py URL OUT.png [--timeout 60] [--chromium PATH]

Starts Debian's `chromium` headless with a private profile, loads URL, and
waits (at most --timeout seconds) until the page says, on <body data-*>, that
it drew at least one member (data-members >= 1) and a requests-per-second
point above zero (data-nonzero == "1"). Then it saves a 1400x1000 screenshot
to OUT.png and prints what the page showed. It also saves the screenshot when
the check fails, to see why.

Exit status: 0 when the page shows members and data; 1 when it does not
within the time limit; 2 when Chromium cannot be started or driven.
Chromium is always killed on the way out (also on a timeout or SIGTERM).

It talks to Chromium over the DevTools protocol with a small websocket client
written here, so it needs the Python standard library and nothing else.
"""

import argparse
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

WIDTH, HEIGHT = 1400, 1000
READ_STATE = "JSON.stringify(document.body ? Object.assign({}, document.body.dataset) : null)"


class CheckError(Exception):
    """Chromium or the DevTools connection failed (exit status 2)."""


class WebSocket:
    """The client side of RFC 6455, as much as the DevTools protocol needs:
    text frames out (masked, as a client must), text frames of any size in,
    fragmentation, ping and close."""

    def __init__(self, url, timeout):
        u = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + ("?" + u.query if u.query else "")
        # No Origin header: Chromium refuses websocket connections from
        # origins it does not know unless --remote-allow-origins says so.
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           % (path, u.netloc, key)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CheckError("the DevTools websocket closed during the handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise CheckError("DevTools websocket handshake refused: %s" % head.decode(errors="replace"))

    def settimeout(self, seconds):
        self.sock.settimeout(max(0.05, seconds))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise CheckError("Chromium closed the DevTools connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self):
        """The next whole text message."""
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise CheckError("Chromium closed the DevTools connection")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class DevTools:
    """Commands to one page target; events are kept only for what we report
    (uncaught exceptions and console errors from the page)."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.page_errors = []

    def call(self, method, timeout=15, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckError("no answer from Chromium to %s within %d s" % (method, timeout))
            self.ws.settimeout(left)
            try:
                msg = json.loads(self.ws.recv())
            except socket.timeout:
                continue
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise CheckError("%s failed: %s" % (method, msg["error"].get("message")))
                return msg.get("result", {})
            self._event(msg)

    def _event(self, msg):
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            text = (d.get("exception") or {}).get("description") or d.get("text", "")
            self.page_errors.append("uncaught: " + text.splitlines()[0] if text else "uncaught exception")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            args = params.get("args", [])
            self.page_errors.append("console.error: " + " ".join(
                str(a.get("value", a.get("description", ""))) for a in args))


def find_chromium(explicit):
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    raise CheckError("no chromium found: apt-get install -y chromium")


def start_chromium(binary, profile):
    """Chromium on a port of its own choice (--remote-debugging-port=0: no race
    for a free port), read back from the DevToolsActivePort file it writes."""
    log = open(os.path.join(profile, "chromium.log"), "wb")
    args = [binary, "--headless=new", "--no-sandbox",  # root in a container: no user namespaces
            "--disable-gpu", "--disable-dev-shm-usage",  # /dev/shm is tiny in containers
            "--window-size=%d,%d" % (WIDTH, HEIGHT), "--hide-scrollbars",
            "--remote-debugging-port=0", "--user-data-dir=" + profile,
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            # The page polls with timers: never let a headless tab be throttled.
            "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows", "--mute-audio",
            "about:blank"]
    # A session of its own, so the whole process tree can be killed at once.
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    except OSError as e:
        raise CheckError("cannot start %s: %s" % (binary, e))
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CheckError("chromium exited with status %d at start; its log:\n%s"
                             % (proc.returncode, tail(os.path.join(profile, "chromium.log"))))
        try:
            with open(port_file) as f:
                port = int(f.readline().strip())
            return proc, port
        except (OSError, ValueError):
            time.sleep(0.1)
    raise CheckError("chromium did not open its DevTools port within 30 s; its log:\n%s"
                     % tail(os.path.join(profile, "chromium.log")))


def stop_chromium(proc):
    """SIGTERM to Chromium's whole process group (its renderers, GPU and
    utility processes too), then SIGKILL to whatever is left after 5 s."""
    if proc is None:
        return
    pgid = proc.pid  # start_new_session made it the group's leader

    def group_alive():
        try:
            os.killpg(pgid, 0)
            return True
        except OSError:
            return False

    try:
        os.killpg(pgid, signal.SIGTERM)
    except OSError:
        pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader, or it stays a zombie in the group
        if not group_alive():
            return
        time.sleep(0.05)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()


def tail(path, lines=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def page_websocket(port):
    """The websocket URL of the tab Chromium opened on about:blank."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/json/list")
            targets = json.loads(conn.getresponse().read())
            conn.close()
            for t in targets:
                if t.get("type") == "page" and t.get("webSocketDebuggerUrl"):
                    return t["webSocketDebuggerUrl"]
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise CheckError("chromium shows no page target on port %d" % port)


def screenshot(dt, path):
    shot = dt.call("Page.captureScreenshot", timeout=30, format="png")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))


def check(url, out_png, timeout, chromium):
    profile = tempfile.mkdtemp(prefix="cairn-dashboard-check-")
    proc = ws = None
    try:
        proc, port = start_chromium(find_chromium(chromium), profile)
        ws = WebSocket(page_websocket(port), timeout=15)
        dt = DevTools(ws)
        # The window size sets the screen; this pins the page's viewport, which
        # is what the screenshot captures.
        dt.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1,
                mobile=False)
        dt.call("Page.enable")
        dt.call("Runtime.enable")

        deadline = time.monotonic() + timeout
        # Navigate, retrying while the server does not answer yet.
        while True:
            nav = dt.call("Page.navigate", url=url)
            if not nav.get("errorText"):
                break
            if time.monotonic() > deadline:
                print("FAIL: cannot load %s: %s" % (url, nav["errorText"]))
                return 1
            time.sleep(1)

        seen = None
        while time.monotonic() < deadline:
            r = dt.call("Runtime.evaluate", expression=READ_STATE, returnByValue=True)
            value = r.get("result", {}).get("value")
            seen = json.loads(value) if value else None
            if seen and int(seen.get("members") or 0) >= 1 and seen.get("nonzero") == "1":
                break
            time.sleep(0.5)

        screenshot(dt, out_png)
        seen = seen or {}
        summary = ("members=%s reachable=%s updates=%s verdict=%s nonzero=%s"
                   % (seen.get("members"), seen.get("reachable"), seen.get("updates"),
                      seen.get("verdict") or "-", seen.get("nonzero")))
        for e in dt.page_errors:
            print("page error: %s" % e)
        if not seen:
            print("FAIL: %s did not load a page with a <body> within %d s (screenshot: %s)" % (url, timeout, out_png))
            return 1
        if int(seen.get("members") or 0) < 1:
            print("FAIL: the dashboard at %s showed no members within %d s: %s (screenshot: %s)"
                  % (url, timeout, summary, out_png))
            return 1
        if seen.get("nonzero") != "1":
            print("FAIL: the dashboard at %s drew no requests-per-second point above zero within %d s: %s "
                  "(screenshot: %s)" % (url, timeout, summary, out_png))
            return 1
        print("ok: dashboard at %s: %s; screenshot %s" % (url, summary, out_png))
        return 0
    finally:
        if ws:
            ws.close()
        stop_chromium(proc)
        shutil.rmtree(profile, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("url")
    p.add_argument("png", help="where to save the screenshot")
    p.add_argument("--timeout", type=float, default=60, help="seconds to wait for members and data")
    p.add_argument("--chromium", help="the browser binary (default: chromium on PATH)")
    a = p.parse_args()
    # ctest and `timeout` stop with SIGTERM: unwind through the finally
    # blocks so Chromium does not outlive us.
    def on_term(*_):
        print("FAIL: stopped by SIGTERM")
        sys.exit(1)

    signal.signal(signal.SIGTERM, on_term)
    try:
        return check(a.url, a.png, a.timeout, a.chromium)
    except CheckError as e:
        print("FAIL: %s" % e)
        return 2


if __name__ == "__main__":
    sys.exit(main())
