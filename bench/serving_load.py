"""Load on one node's serving path, as an OIP client sees it: `--concurrency` requests in flight
from Triton's own client (tritonclient.http, binary tensors), each of `--batch` images, for
`--seconds` (a greenlet and a keep-alive connection per request in flight); prints images/s and latency percentiles as JSON. Used by bench/serving-tls.

    python bench/serving_load.py http://127.0.0.1:8000 end-mobilenet --batch 1
    python bench/serving_load.py https://localhost:8001 end-mobilenet --ca pki/ca.pem --token "$T"
"""
from gevent import monkey

monkey.patch_all()  # noqa: E402 (sockets and ssl cooperative before anything imports them)

import argparse
import json
import time

import gevent
import numpy as np
import tritonclient.http as httpclient

p = argparse.ArgumentParser()
p.add_argument("url")
p.add_argument("model")
p.add_argument("--batch", type=int, default=1)
p.add_argument("--concurrency", type=int, default=8)
p.add_argument("--seconds", type=float, default=10)
p.add_argument("--ca")
p.add_argument("--token")
a = p.parse_args()
secure = a.url.startswith("https://")
x = (np.random.default_rng(0).random((a.batch, 1, 28, 28)) * 255).astype(np.uint8).astype(np.float32) / 255
headers = {"Authorization": "Bearer " + a.token} if a.token else None


def client():
    return httpclient.InferenceServerClient(
        url=a.url.removeprefix("https://").removeprefix("http://"), ssl=secure,
        ssl_options={"ca_certs": a.ca} if secure else None)


def infer(c):
    inp = httpclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x, binary_data=True)
    # A fresh dict per call: tritonclient adds its own headers to the one it is given.
    c.infer(a.model, [inp], headers=dict(headers) if headers else None)


# One client (one keep-alive connection) per request in flight, each warmed up first so the
# TLS handshakes are paid before the clock starts.
clients = [client() for _ in range(a.concurrency)]
for c in clients:
    infer(c)
latencies = []
end = time.perf_counter() + a.seconds


def loop(c):
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        infer(c)
        latencies.append(time.perf_counter() - t0)


# Greenlets, as tritonclient's own async calls use (its HTTP client is gevent's): each waits on
# its socket while the others send.
start = time.perf_counter()
gevent.joinall([gevent.spawn(loop, c) for c in clients])
elapsed = time.perf_counter() - start
ms = np.array(latencies) * 1000
print(json.dumps({"url": a.url, "batch": a.batch, "concurrency": a.concurrency, "requests": len(latencies),
                  "images_per_s": len(latencies) * a.batch / elapsed, "p50_ms": float(np.percentile(ms, 50)),
                  "p90_ms": float(np.percentile(ms, 90)), "p99_ms": float(np.percentile(ms, 99))}))
