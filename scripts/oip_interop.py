"""Calls an HDDNN node with Triton's own OIP v2 client (tritonclient.http), a client this project
did not write, and prints what it got as JSON. Used by Tests/HDDNNClusterTests/OIPInteropTests.swift.

    python scripts/oip_interop.py http://127.0.0.1:8000 end-mobilenet
"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

url, model = sys.argv[1], sys.argv[2]
client = httpclient.InferenceServerClient(url=url.removeprefix("http://"))
out = {
    "live": client.is_server_live(),
    "ready": client.is_server_ready(),
    "model_ready": client.is_model_ready(model),
    "server": client.get_server_metadata(),
    "metadata": client.get_model_metadata(model),
}
x = ((np.arange(2 * 784) % 251) / 250.0).astype(np.float32).reshape(2, 1, 28, 28)
for binary in (True, False):
    inp = httpclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x, binary_data=binary)
    req_out = httpclient.InferRequestedOutput("logits", binary_data=binary)
    result = client.infer(model, [inp], outputs=[req_out], request_id="interop-%s" % binary)
    out["binary" if binary else "json"] = result.as_numpy("logits").tolist()
    out["id_" + str(binary)] = result.get_response().get("id")
# A malformed request: the server's message reaches the client's exception.
bad = httpclient.InferInput("input", [1, 1, 64, 64], "FP32")
bad.set_data_from_numpy(np.zeros((1, 1, 64, 64), np.float32))
try:
    client.infer(model, [bad])
    out["bad"] = "accepted"
except InferenceServerException as e:
    out["bad"] = str(e)
print(json.dumps(out))
