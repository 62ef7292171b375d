"""Serves the model that train.py checkpointed (test/cluster/torch.test.ts, train -> serve).

GET /predict?x=v1,...,v8  -> {"y": <model(x)>, "version": $VERSION, "host": <pod>}
GET /ready                -> 200 once the model is loaded, 503 before (the readiness probe)
Both answer 503 until the model is loaded, READY_DELAY seconds after start: traffic that reaches a pod
before its readiness probe passes fails, so a client that never fails shows the probe gating it.
"""
import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import torch

FEATURES = 8
model = None


def load():
    global model
    time.sleep(float(os.environ.get("READY_DELAY", "0")))
    m = torch.nn.Linear(FEATURES, 1)
    m.load_state_dict(torch.load(os.environ["MODEL"])["model"])
    m.eval()
    model = m
    print(json.dumps({"event": "loaded", "model": os.environ["MODEL"]}), flush=True)


class Handler(BaseHTTPRequestHandler):
    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if model is None:
            return self.reply(503, {"error": "model not loaded"})
        if url.path == "/ready":
            return self.reply(200, {"ready": True})
        if url.path == "/predict":
            try:
                x = [float(v) for v in parse_qs(url.query)["x"][0].split(",")]
                assert len(x) == FEATURES
            except Exception:
                return self.reply(400, {"error": f"want x=<{FEATURES} comma-separated numbers>"})
            with torch.no_grad():
                y = float(model(torch.tensor([x]))[0, 0])
            return self.reply(200, {"y": y, "version": os.environ.get("VERSION"), "host": socket.gethostname()})
        return self.reply(404, {"error": "not found"})

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    threading.Thread(target=load, daemon=True).start()
    ThreadingHTTPServer(("", int(os.environ.get("PORT", "8000"))), Handler).serve_forever()
