# SPDX-License-Identifier: BSD-3-Clause
"""Drives headless Chromium over the DevTools protocol on a pipe
(--remote-debugging-pipe: commands on the browser's fd 3, answers on fd 4,
each a JSON text ended by a NUL byte), standard library only, for web tests
that must act on a page (type into a field, click, reload) rather than only
dump its DOM.

    b = Browser(chrome_path, profile_dir)
    b.open(url)
    b.eval("document.title")           # value of a JS expression (awaits promises)
    b.wait("expr", timeout_s)          # until expr is truthy; its value
    b.type_text("text")                # into the focused element, as keystrokes would
    b.reload(); b.close()
"""
import fcntl
import json
import os
import subprocess
import time


def _high(fd):
    hi = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return hi


class Browser:
    def __init__(self, chrome, profile, extra=()):
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        # above 4, so that moving them onto 3 and 4 cannot close one
        to_chrome_r, from_chrome_w = _high(to_chrome_r), _high(from_chrome_w)
        args = [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--remote-debugging-pipe",
                *extra, "about:blank"]
        # the browser wants the pipe on fds 3 and 4 exactly
        self.proc = subprocess.Popen(
            ["bash", "-c", 'exec 3<&%d 4>&%d %d<&- %d>&-; exec "$@"' %
             (to_chrome_r, from_chrome_w, to_chrome_r, from_chrome_w), "cdp", *args],
            pass_fds=(to_chrome_r, from_chrome_w), stdout=subprocess.DEVNULL,
            stderr=open(profile + ".log", "ab"))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.session = None

    def _send(self, method, params=None, session=True, timeout_s=20):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout_s
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                m = json.loads(raw)
                if m.get("id") == self._id:
                    if "error" in m:
                        raise RuntimeError("%s: %s" % (method, m["error"]))
                    return m.get("result", {})
            if time.monotonic() > end:
                raise TimeoutError(method)
            chunk = os.read(self._r, 65536)
            if not chunk:
                raise RuntimeError("browser closed the pipe (%s)" % method)
            self._buf += chunk

    def open(self, url):
        t = self._send("Target.createTarget", {"url": url}, session=False)
        a = self._send("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True},
                       session=False)
        self.session = a["sessionId"]

    def eval(self, expr):
        r = self._send("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                            "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError("JS: %s: %s" % (expr, r["exceptionDetails"].get("text")))
        return r.get("result", {}).get("value")

    def wait(self, expr, timeout_s=15):
        end = time.monotonic() + timeout_s
        while True:
            try:
                v = self.eval(expr)
            except RuntimeError:
                v = None  # the page is (re)loading
            if v or time.monotonic() > end:
                return v
            time.sleep(0.2)

    def type_text(self, text):
        self._send("Input.insertText", {"text": text})

    def reload(self):
        self._send("Page.reload", {"ignoreCache": True})

    def close(self):
        try:
            self._send("Browser.close", session=False, timeout_s=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)
