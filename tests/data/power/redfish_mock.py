#!/usr/bin/env python3
"""A small Redfish BMC for tests/e2e/t_power_redfish.sh (no emulator is packaged).

DMTF DSP0266 resources: /redfish/v1/Systems (one member), the ComputerSystem
(PowerState, Boot override), Actions/ComputerSystem.Reset with its allowable
ResetType values, HTTP Basic auth (401), 400 on a bad body, and --busy N:
the first N requests answer 503 (a BMC under a burst).  HTTPS on loopback.
The state goes to --state as "power On|Off", "boot <target> <enabled>",
"resets N" lines for the test to read.

  redfish_mock.py --port P --cert C --key K --user U --password W --state F [--busy N]
"""
import argparse, base64, http.server, json, ssl

ap = argparse.ArgumentParser()
for k in ("port", "cert", "key", "user", "password", "state"):
    ap.add_argument("--" + k, required=True)
ap.add_argument("--busy", type=int, default=0)
a = ap.parse_args()
S = {"power": "Off", "target": "None", "enabled": "Disabled", "resets": 0, "busy": a.busy}
SYS = "/redfish/v1/Systems/1"
RESETS = ["On", "ForceOff", "ForceRestart", "GracefulShutdown", "PowerCycle"]


def save():
    with open(a.state, "w") as f:
        f.write("power %s\nboot %s %s\nresets %d\n" % (S["power"], S["target"], S["enabled"], S["resets"]))


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, code, obj=None):
        body = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def gate(self):
        if S["busy"] > 0:
            S["busy"] -= 1
            self.send(503, {"error": {"code": "Base.1.8.ServiceTemporarilyUnavailable"}})
            return False
        want = "Basic " + base64.b64encode(("%s:%s" % (a.user, a.password)).encode()).decode()
        if self.headers.get("Authorization") != want:
            self.send(401, {"error": {"code": "Base.1.8.InsufficientPrivilege"}})
            return False
        return True

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            return None

    def do_GET(self):
        if not self.gate():
            return
        if self.path == "/redfish/v1/Systems":
            self.send(200, {"@odata.id": "/redfish/v1/Systems", "Members@odata.count": 1,
                            "Members": [{"@odata.id": SYS}]})
        elif self.path == SYS:
            self.send(200, {"@odata.id": SYS, "@odata.type": "#ComputerSystem.v1_13_0.ComputerSystem",
                            "Id": "1", "PowerState": S["power"],
                            "Boot": {"BootSourceOverrideTarget": S["target"],
                                     "BootSourceOverrideEnabled": S["enabled"]},
                            "Actions": {"#ComputerSystem.Reset": {
                                "target": SYS + "/Actions/ComputerSystem.Reset",
                                "ResetType@Redfish.AllowableValues": RESETS}}})
        else:
            self.send(404)

    def do_PATCH(self):
        if not self.gate():
            return
        b = self.body()
        boot = (b or {}).get("Boot") if self.path == SYS else None
        if not isinstance(boot, dict) or boot.get("BootSourceOverrideTarget") not in ("Pxe", "Hdd", "None") \
                or boot.get("BootSourceOverrideEnabled") not in ("Once", "Continuous", "Disabled"):
            return self.send(400, {"error": {"code": "Base.1.8.PropertyValueNotInList"}})
        S["target"], S["enabled"] = boot["BootSourceOverrideTarget"], boot["BootSourceOverrideEnabled"]
        save()
        self.send(204)

    def do_POST(self):
        if not self.gate():
            return
        b = self.body()
        if self.path != SYS + "/Actions/ComputerSystem.Reset":
            return self.send(404)
        rt = (b or {}).get("ResetType")
        if rt not in RESETS:
            return self.send(400, {"error": {"code": "Base.1.8.ActionParameterNotSupported"}})
        if rt == "On":
            S["power"] = "On"
        elif rt in ("ForceOff", "GracefulShutdown"):
            S["power"] = "Off"
        else:
            S["power"] = "On"
            S["resets"] += 1
        save()
        self.send(204)


save()
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(a.port)), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(a.cert, a.key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
