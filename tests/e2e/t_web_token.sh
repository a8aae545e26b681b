#!/usr/bin/env bash
# The live web page (control/web/index.html) against a real `bootstorm serve`
# whose admin API wants http.admin_token_file (admin_local: false, no
# admin_network): a browser elsewhere on the network.  Headless Chromium,
# driven over the DevTools pipe (tests/e2e/cdp.py):
#   - without a token the page shows the 401 and draws no node;
#   - the token typed into its field: the nodes, status and discovered
#     panels fill (the page sends "Authorization: Bearer", RFC 6750 2.1);
#   - the token is in the tab's sessionStorage only: not in the DOM, the
#     field, the URL, nor the served page; it survives a reload of the tab;
#   - a wrong token is refused (401 shown), "forget" drops it.
# Loopback only, no dataplane.  Exit: 0 pass, 1 fail, 77 without Chromium.
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$CHROME" ] || { echo "NOT RUN: no chromium/chromium-browser/google-chrome in PATH"; exit 77; }
source "$(dirname "$0")/../data/control/e2e-lib.sh"
ctl_setup

TOKEN=webtok-$$-$RANDOM$RANDOM
printf '%s\n' "$TOKEN" >"$W/admin.token"
chmod 600 "$W/admin.token"
sed -i "s|^  max_connections: 4096|&\n  admin_local: false\n  admin_token_file: admin.token|" "$W/ctl.yaml"
ctl_start

# what a browser is served, before any script runs
curl -fsS "$URL/" >"$W/page.html" || fail "GET / (the page must be public)"
grep -q 'id="token"' "$W/page.html" || fail "the page has no admin token field"
grep -q 'type="password"' "$W/page.html" || fail "the token field is not a password field"
grep -q '<form' "$W/page.html" && fail "a <form> could submit the token as a URL query"
grep -q "$TOKEN" "$W/page.html" && fail "the served page contains the token"
[ "$(code "$URL/api/nodes")" = 401 ] || fail "/api/nodes without the token: want 401"
ok "page served without the token; token field, no form; API 401 without it"

PYTHONPATH="$(dirname "$0")" python3 - "$CHROME" "$W/profile" "$URL/" "$TOKEN" <<'PY' || fail "browser checks"
import sys
from cdp import Browser

chrome, profile, url, token = sys.argv[1:5]
b = Browser(chrome, profile)
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)
        print("  not ok:", msg)

CELLS = "document.querySelectorAll('#grid .cell').length"
CONN = "document.getElementById('conn').textContent"
try:
    b.open(url)
    conn = b.wait(CONN + ".includes('401') && " + CONN, 20)
    check(conn and "admin token required" in conn, "no token: connection badge %r" % b.eval(CONN))
    check(b.eval(CELLS) == 0, "no token: %s cells drawn" % b.eval(CELLS))
    check(b.eval("document.getElementById('token-state').textContent") == "admin token required",
          "no token: the field does not ask for it")

    # a wrong token first: refused
    b.eval("document.getElementById('token').focus()")
    b.type_text("wrong-" + token)
    b.eval("document.getElementById('token-set').click()")
    check(b.wait(CONN + ".includes('admin token refused')", 10), "wrong token: %r" % b.eval(CONN))
    check(b.eval("document.getElementById('token-state').textContent") == "token refused",
          "wrong token: the field does not say so")

    # the right one, typed and entered with the Enter key's handler (the button here)
    b.eval("document.getElementById('token').focus()")
    b.type_text(token)
    b.eval("document.getElementById('token-set').click()")
    n = b.wait("document.getElementById('conn').textContent === 'live' && " + CELLS, 20)
    check(n == 12, "with the token: %r cells (want 12: node001, node002, node010-019), badge %r"
          % (n, b.eval(CONN)))
    check("node001" in b.eval("[...document.querySelectorAll('#grid .cell')].map(c => c.dataset.key).join(' ')"),
          "node001 not drawn")
    check("e2e" in b.eval("document.getElementById('server').textContent"), "status line: %r"
          % b.eval("document.getElementById('server').textContent"))
    check(b.wait("document.getElementById('disclist').textContent.trim() === 'none'", 5),
          "discovered panel: %r" % b.eval("document.getElementById('disclist').textContent"))
    check(b.eval("document.getElementById('token-state').textContent") == "token set", "token state")

    # where the token is, and where it is not
    check(b.eval("sessionStorage.getItem('bootstorm.admin_token')") == token, "not in sessionStorage")
    check(b.eval("localStorage.length") == 0, "something in localStorage")
    check(b.eval("document.getElementById('token').value") == "", "the field still holds the token")
    check(token not in b.eval("document.documentElement.outerHTML"), "the token is in the DOM")
    check(token not in b.eval("location.href"), "the token is in the URL")
    check(token not in b.eval("document.cookie"), "the token is in a cookie")

    # the tab keeps it across a reload
    b.reload()
    n = b.wait("document.getElementById('conn').textContent === 'live' && " + CELLS, 20)
    check(n == 12, "after a reload: %r cells, badge %r" % (n, b.eval(CONN)))

    # forget: back to 401
    b.eval("document.getElementById('token-forget').click()")
    check(b.wait(CONN + ".includes('admin token required')", 10), "after forget: %r" % b.eval(CONN))
    check(b.eval("sessionStorage.getItem('bootstorm.admin_token')") is None, "forget kept the token")
finally:
    b.close()
if errors:
    print("FAIL: " + "; ".join(errors))
    sys.exit(1)
print("browser: 401 without, refused when wrong, 12 nodes with the token, kept over a reload, forgotten")
PY
ok "Chromium: no token 401 and no nodes; wrong token refused; with it 12 nodes, status and discovered panels; token only in sessionStorage (not DOM/field/URL/cookie), kept over a reload, forget drops it"

# the token never reached the server's log
grep -q "$TOKEN" "$W/serve.log" && fail "the token is in the server log"
ctl_stop
echo "PASS: t_web_token"
