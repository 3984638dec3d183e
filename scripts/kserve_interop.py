"""Calls an HDDNN node with KServe's own Python SDK (kserve.InferenceRESTClient, protocol v2), a
client this project did not write, and prints what it got as JSON. Used by
Tests/HDDNNClusterTests/OIPInteropTests.swift.

    python scripts/kserve_interop.py https://localhost:8000 end-mobilenet --ca .hddnn/pki/ca.pem --token "$TOKEN"

Over HTTPS the project CA is the SDK's only trust root and the calls that need it carry the bearer
token; without it the SDK's model-ready check reads false (v2 maps any 4xx to not ready) and an
inference raises with the node's 401.
"""
import argparse
import asyncio
import json

import numpy as np
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("model")
parser.add_argument("--ca", help="CA certificate (PEM) to verify the node with, for https URLs")
parser.add_argument("--token", help="bearer token for the calls past the health checks")
args = parser.parse_args()


async def main():
    client = InferenceRESTClient(RESTConfig(protocol="v2", verify=args.ca or True, timeout=60, retries=0))
    headers = {"Authorization": "Bearer " + args.token} if args.token else None
    out = {
        "live": await client.is_server_live(args.url),
        "ready": await client.is_server_ready(args.url),
        "model_ready": await client.is_model_ready(args.url, args.model, headers=headers),
    }
    x = ((np.arange(2 * 784) % 251) / 250.0).astype(np.float32).reshape(2, 1, 28, 28)
    inp = InferInput(name="input", shape=list(x.shape), datatype="FP32")
    inp.set_data_from_numpy(x, binary_data=False)
    result = await client.infer(args.url, InferRequest(model_name=args.model, infer_inputs=[inp], request_id="kserve-1"),
                                model_name=args.model, headers=headers)
    out["json"] = result.outputs[0].as_numpy().tolist()
    out["id"] = result.id
    if args.token:
        out["model_ready_without_token"] = await client.is_model_ready(args.url, args.model)
        try:
            await client.infer(args.url, InferRequest(model_name=args.model, infer_inputs=[inp]), model_name=args.model)
            out["without_token"] = "accepted"
        except Exception as e:  # the SDK raises httpx.HTTPStatusError with the server's message
            out["without_token"] = str(e)
    await client.close()
    print(json.dumps(out))


asyncio.run(main())
