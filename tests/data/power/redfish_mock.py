#!/usr/bin/env python3
"""A small Redfish BMC for tests/e2e/t_power_redfish.sh (no emulator is packaged).

DMTF DSP0266 resources: /redfish (version document) and the service root
/redfish/v1 (both readable without credentials, DSP0266 13.3.3),
/redfish/v1/Systems (one member), the ComputerSystem (PowerState, Boot
override with its allowable targets), Actions/ComputerSystem.Reset with its
allowable ResetType values, the SessionService (POST Sessions: X-Auth-Token
and Location, DELETE to log out), HTTP Basic auth or a session token (401),
400 on a bad body, and --busy N:
the first N requests answer 503 (a BMC under a burst).  HTTPS on loopback.
The state goes to --state as "power On|Off", "boot <target> <enabled>",
"resets N" lines for the test to read.

  redfish_mock.py --port P --cert C --key K --user U --password W --state F [--busy N]
"""
import argparse, base64, http.server, json, secrets, ssl

ap = argparse.ArgumentParser()
for k in ("port", "cert", "key", "user", "password", "state"):
    ap.add_argument("--" + k, required=True)
ap.add_argument("--busy", type=int, default=0)
a = ap.parse_args()
S = {"power": "Off", "target": "None", "enabled": "Disabled", "resets": 0, "busy": a.busy}
SYS = "/redfish/v1/Systems/1"
RESETS = ["On", "ForceOff", "ForceRestart", "GracefulShutdown", "PowerCycle"]
TARGETS = ["None", "Pxe", "Hdd"]
ENABLED = ["Once", "Continuous", "Disabled"]
SESS = "/redfish/v1/SessionService/Sessions"
TOKENS = {}  # token -> session id
ROOT = {"@odata.id": "/redfish/v1", "@odata.type": "#ServiceRoot.v1_5_0.ServiceRoot",
        "Id": "RootService", "Name": "Root Service", "RedfishVersion": "1.6.0",
        "UUID": "92384634-2938-2342-8820-489239905423",
        "Systems": {"@odata.id": "/redfish/v1/Systems"},
        "SessionService": {"@odata.id": "/redfish/v1/SessionService"},
        "Links": {"Sessions": {"@odata.id": SESS}}}


def save():
    with open(a.state, "w") as f:
        f.write("power %s\nboot %s %s\nresets %d\n" % (S["power"], S["target"], S["enabled"], S["resets"]))


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, code, obj=None, headers=()):
        body = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("OData-Version", "4.0")
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
        if self.headers.get("Authorization") != want and self.headers.get("X-Auth-Token") not in TOKENS:
            self.send(401, {"error": {"code": "Base.1.8.InsufficientPrivilege"}})
            return False
        return True

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            return None

    def where(self):
        """The path without query and trailing slash (/redfish/v1/ is /redfish/v1)."""
        return self.path.split("?")[0].rstrip("/") or "/"

    def do_GET(self):
        p = self.where()
        if p == "/redfish":
            return self.send(200, {"v1": "/redfish/v1/"})
        if p == "/redfish/v1":
            return self.send(200, ROOT)
        if not self.gate():
            return
        if p == "/redfish/v1/Systems":
            self.send(200, {"@odata.id": "/redfish/v1/Systems",
                            "@odata.type": "#ComputerSystemCollection.ComputerSystemCollection",
                            "Name": "Computer System Collection", "Members@odata.count": 1,
                            "Members": [{"@odata.id": SYS}]})
        elif p == "/redfish/v1/SessionService":
            self.send(200, {"@odata.id": "/redfish/v1/SessionService",
                            "@odata.type": "#SessionService.v1_1_6.SessionService",
                            "Id": "SessionService", "Name": "Session Service", "ServiceEnabled": True,
                            "SessionTimeout": 600, "Sessions": {"@odata.id": SESS}})
        elif p == SESS:
            m = [{"@odata.id": "%s/%s" % (SESS, i)} for i in TOKENS.values()]
            self.send(200, {"@odata.id": SESS, "@odata.type": "#SessionCollection.SessionCollection",
                            "Name": "Session Collection", "Members@odata.count": len(m), "Members": m})
        elif p == SYS:
            self.send(200, {"@odata.id": SYS, "@odata.type": "#ComputerSystem.v1_13_0.ComputerSystem",
                            "Id": "1", "Name": "Mock System", "PowerState": S["power"],
                            "Status": {"State": "Enabled", "Health": "OK"},
                            "Boot": {"BootSourceOverrideTarget": S["target"],
                                     "BootSourceOverrideEnabled": S["enabled"],
                                     "BootSourceOverrideTarget@Redfish.AllowableValues": TARGETS},
                            "Actions": {"#ComputerSystem.Reset": {
                                "target": SYS + "/Actions/ComputerSystem.Reset",
                                "ResetType@Redfish.AllowableValues": RESETS}}})
        else:
            self.send(404)

    def do_PATCH(self):
        if not self.gate():
            return
        b = self.body()
        boot = (b or {}).get("Boot") if self.where() == SYS else None
        # PATCH is partial (DSP0266 7.8): an absent property keeps its value
        if not isinstance(boot, dict) or not boot \
                or boot.get("BootSourceOverrideTarget", S["target"]) not in TARGETS \
                or boot.get("BootSourceOverrideEnabled", S["enabled"]) not in ENABLED \
                or set(boot) - {"BootSourceOverrideTarget", "BootSourceOverrideEnabled", "BootSourceOverrideMode"}:
            return self.send(400, {"error": {"code": "Base.1.8.PropertyValueNotInList"}})
        S["target"] = boot.get("BootSourceOverrideTarget", S["target"])
        S["enabled"] = boot.get("BootSourceOverrideEnabled", S["enabled"])
        save()
        self.send(204)

    def do_DELETE(self):
        if not self.gate():
            return
        p = self.where()
        for t, i in list(TOKENS.items()):
            if p == "%s/%s" % (SESS, i):
                del TOKENS[t]
                return self.send(204)
        self.send(404)

    def do_POST(self):
        b = self.body()
        if self.where() == SESS:  # log in (DSP0266 13.3.4): no credentials needed to ask
            if S["busy"] > 0:
                S["busy"] -= 1
                return self.send(503, {"error": {"code": "Base.1.8.ServiceTemporarilyUnavailable"}})
            if (b or {}).get("UserName") != a.user or b.get("Password") != a.password:
                return self.send(401, {"error": {"code": "Base.1.8.InsufficientPrivilege"}})
            t, i = secrets.token_hex(16), str(len(TOKENS) + 1)
            TOKENS[t] = i
            return self.send(201, {"@odata.id": "%s/%s" % (SESS, i), "Id": i, "UserName": a.user,
                                   "@odata.type": "#Session.v1_1_0.Session", "Name": "Session"},
                             (("X-Auth-Token", t), ("Location", "%s/%s" % (SESS, i))))
        if not self.gate():
            return
        if self.where() != SYS + "/Actions/ComputerSystem.Reset":
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
