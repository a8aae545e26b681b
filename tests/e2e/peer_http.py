#!/usr/bin/python3
"""Stand-in for bootstorm control's HTTP side, used only with BS_SERVER=dnsmasq to
validate the lab and the VM flow against a conventional peer.  It serves what the
e2e VMs ask control for: /ks/<node> (kickstart), /ipxe/boot (iPXE script chosen by
client IP), /repo/<file> (kernel/initrd), POST /api/nodes/<node>/done and
GET /api/nodes/<node> ({"name":..,"state":"done"|"new"})."""
import argparse, json, os, re, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

NODES = {f"10.77.0.{10 + n}": f"vm{n:02d}" for n in range(1, 9)}
done = {}
lock = threading.Lock()


def kickstart(name):
    return (f"# kickstart for {name} (peer)\nurl --url=http://10.77.0.1/repo/lab\n"
            f"network --hostname={name}\n%post\necho {name}\n%end\n").encode()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, body, ctype="text/plain", head=False):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def get(self, head):
        path = self.path.split("?", 1)[0]
        m = re.fullmatch(r"/ks/([\w.-]+)", path)
        if m:
            return self.reply(200, kickstart(m.group(1)), head=head)
        if path == "/ipxe/boot":
            name = NODES.get(self.client_address[0], "unknown")
            s = ("#!ipxe\nkernel http://10.77.0.1/repo/lab/vmlinuz initrd=initrd.img "
                 f"console=ttyS0,115200 loglevel=4 panic=-1 ks=http://10.77.0.1/ks/{name}\n"
                 "initrd http://10.77.0.1/repo/lab/initrd.img\nboot\n")
            return self.reply(200, s.encode(), head=head)
        m = re.fullmatch(r"/api/nodes/([\w.-]+)", path)
        if m:
            with lock:
                st = "done" if m.group(1) in done else "new"
            return self.reply(200, json.dumps({"name": m.group(1), "state": st}).encode(),
                              "application/json", head)
        if path.startswith("/repo/"):
            f = os.path.realpath(os.path.join(args.repo, path[len("/repo/"):]))
            if f.startswith(os.path.realpath(args.repo) + "/") and os.path.isfile(f):
                with open(f, "rb") as fh:
                    return self.reply(200, fh.read(), "application/octet-stream", head)
            return self.reply(404, b"not found\n", head=head)
        if path == "/":
            return self.reply(200, b"peer\n", head=head)
        return self.reply(404, b"not found\n", head=head)

    def do_GET(self):
        self.get(False)

    def do_HEAD(self):
        self.get(True)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        m = re.fullmatch(r"/api/nodes/([\w.-]+)/done", self.path.split("?", 1)[0])
        if not m:
            return self.reply(404, b"not found\n")
        with lock:
            done[m.group(1)] = True
        self.reply(200, b'{"ok":true}\n', "application/json")


ap = argparse.ArgumentParser()
ap.add_argument("--bind", default="10.77.0.1")
ap.add_argument("--port", type=int, default=80)
ap.add_argument("--repo", required=True)
ap.add_argument("--state", required=True)
args = ap.parse_args()
ThreadingHTTPServer((args.bind, args.port), H).serve_forever()
