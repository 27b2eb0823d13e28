"""web: the shop's front end. Serves static/ and a small JSON API; calls gateway in the cluster."""
import json
import os
import sys
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
        if self.path == "/healthz":
            return self.reply(200, "text/plain", b"ok")
        if self.path == "/api/greeting":
            return self.reply(200, "application/json", json.dumps({"greeting": greeting.greeting()}).encode())
        if self.path == "/api/items":
            base = gateway_url()
            if not base:
                return self.reply(503, "text/plain", b"gateway not configured: set GATEWAY_URL")
            try:
                with urllib.request.urlopen(base + "/api/items", timeout=5) as r:
                    return self.reply(200, "application/json", r.read())
            except OSError as e:
                return self.reply(502, "text/plain", f"gateway unreachable: {e}".encode())
        return super().do_GET()

    def reply(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stdout.write("web: " + (fmt % args) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8000"))
    print(f"web listening on :{port}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
