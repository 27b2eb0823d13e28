"""web: the shop's front end. Serves static/ and a small JSON API; calls gateway in the cluster."""
import json
import os
import signal
import sys
import urllib.error
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import greeting

HERE = os.path.dirname(os.path.abspath(__file__))


def gateway_url():
    # An explicit URL wins; in the cluster Kubernetes injects GATEWAY_SERVICE_HOST/PORT (no DNS here).
    if os.environ.get("GATEWAY_URL"):
        return os.environ["GATEWAY_URL"].rstrip("/")
    host, port = os.environ.get("GATEWAY_SERVICE_HOST"), os.environ.get("GATEWAY_SERVICE_PORT")
    return f"http://{host}:{port}" if host and port else None


class Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=os.path.join(HERE, "static"), **kwargs)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            return self.reply(200, "text/plain", b"ok")
        if path == "/api/greeting":
            return self.reply(200, "application/json", json.dumps({"greeting": greeting.greeting()}).encode())
        if path == "/api/items":
            return self.items()
        return super().do_GET()

    def items(self):
        base = gateway_url()
        if not base:
            return self.reply(503, "text/plain", b"gateway not configured: set GATEWAY_URL or GATEWAY_SERVICE_HOST/PORT")
        try:
            with urllib.request.urlopen(base + "/api/items", timeout=5) as r:
                return self.reply(200, "application/json", r.read())
        except urllib.error.HTTPError as e:
            # Pass gateway's own error through: it says which hop failed (gateway or catalog).
            return self.reply(e.code, "text/plain", e.read())
        except OSError as e:
            return self.reply(502, "text/plain", f"gateway unreachable at {base}: {e}".encode())

    def reply(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        # One line per request on stdout, like the Rust services, so pod logs show the traffic.
        print("web: " + (fmt % args), flush=True)


def main():
    # As PID 1 in a container, SIGTERM is ignored unless handled; without this every rollout and
    # every dev-mode restart would wait out the pod's grace period.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # 0.0.0.0 as a container needs; BIND_ADDRESS=127.0.0.1 keeps a local run private.
    address = os.environ.get("BIND_ADDRESS", "0.0.0.0")
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer((address, port), Handler)
    print(f"web listening on {address}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
