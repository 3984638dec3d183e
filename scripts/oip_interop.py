"""Calls an HDDNN node with Triton's own OIP v2 client (tritonclient.http), a client this project
did not write, and prints what it got as JSON. Used by Tests/HDDNNClusterTests/OIPInteropTests.swift.

    python scripts/oip_interop.py http://127.0.0.1:8000 end-mobilenet
    python scripts/oip_interop.py https://localhost:8000 end-mobilenet --ca .hddnn/pki/ca.pem --token "$TOKEN"

Over HTTPS the project CA is the client's only trust root and every call but the health checks
carries the bearer token; a metadata call without it must be refused.
"""
import argparse
import json

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("model")
parser.add_argument("--ca", help="CA certificate (PEM) to verify the node with, for https URLs")
parser.add_argument("--token", help="bearer token sent with every call but the health checks")
args = parser.parse_args()
url, model = args.url, args.model
secure = url.startswith("https://")
client = httpclient.InferenceServerClient(
    url=url.removeprefix("https://").removeprefix("http://"), ssl=secure,
    ssl_options={"ca_certs": args.ca} if secure else None)


def auth():
    """A fresh headers dict per call: tritonclient adds its own headers to the one it is given."""
    return {"Authorization": "Bearer " + args.token} if args.token else None


out = {
    "live": client.is_server_live(),
    "ready": client.is_server_ready(),
    "model_ready": client.is_model_ready(model, headers=auth()),
    "server": client.get_server_metadata(headers=auth()),
    "metadata": client.get_model_metadata(model, headers=auth()),
}
if args.token:
    try:
        client.get_model_metadata(model)
        out["without_token"] = "accepted"
    except InferenceServerException as e:
        out["without_token"] = str(e)
x = ((np.arange(2 * 784) % 251) / 250.0).astype(np.float32).reshape(2, 1, 28, 28)
for binary in (True, False):
    inp = httpclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x, binary_data=binary)
    req_out = httpclient.InferRequestedOutput("logits", binary_data=binary)
    result = client.infer(model, [inp], outputs=[req_out], request_id="interop-%s" % binary, headers=auth())
    out["binary" if binary else "json"] = result.as_numpy("logits").tolist()
    out["id_" + str(binary)] = result.get_response().get("id")
# A malformed request: the server's message reaches the client's exception.
bad = httpclient.InferInput("input", [1, 1, 64, 64], "FP32")
bad.set_data_from_numpy(np.zeros((1, 1, 64, 64), np.float32))
try:
    client.infer(model, [bad], headers=auth())
    out["bad"] = "accepted"
except InferenceServerException as e:
    out["bad"] = str(e)
print(json.dumps(out))
