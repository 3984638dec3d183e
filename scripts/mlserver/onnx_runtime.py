"""An MLServer runtime that serves an ONNX file with ONNX Runtime: what a user with MLServer
would run for a tier of ours (MLServer ships no ONNX runtime of its own). Used by
Tests/HDDNNSchedulingTests/ForeignTierTests.swift and docs/distributed-system.md.

model-settings.json:
    {"name": "cloud-wrn-tail", "implementation": "onnx_runtime.ONNXRuntime",
     "parameters": {"uri": "./model.onnx"}}
with this file on PYTHONPATH (or beside the model settings).
"""
import os

import onnxruntime as ort
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse
from mlserver.utils import get_model_uri


class ONNXRuntime(MLModel):
    async def load(self) -> bool:
        path = await get_model_uri(self._settings)
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(os.environ.get("HDDNN_ORT_THREADS", "1"))
        self._session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self._outputs = [o.name for o in self._session.get_outputs()]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        feeds = {i.name: NumpyCodec.decode_input(i) for i in payload.inputs}
        wanted = [o.name for o in payload.outputs] if payload.outputs else self._outputs
        values = self._session.run(wanted, feeds)
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            id=payload.id,
            outputs=[NumpyCodec.encode_output(name, value) for name, value in zip(wanted, values)],
        )
