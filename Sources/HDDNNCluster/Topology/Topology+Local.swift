import Foundation

extension Topology {
    /// `configs/local.yaml`, carried in the binary so `hddnn demo` runs from anywhere with the
    /// shipped models (a test keeps the two copies identical).
    public static let localYAML = #"""
    # A small HDDNN deployment on one machine: 4 end devices, 2 edge devices and a cloud, each a
    # real `hddnn serve` process on loopback. `hddnn demo` runs this topology (it carries a copy).
    #
    # Links are emulated inside the program on the real bytes each message carries (eq. 18):
    # a message waits one-way latency + bytes / bandwidth; a link direction sends one message at a
    # time. Raw images travel as UINT8; feature maps of a split (the paper's "encryption module")
    # travel as FP32 and cost what they weigh.
    defaults:
      host: 127.0.0.1
      threads: 1
      timeout: 1s              # t_timeout of eq. 17: what a send to a dead node costs
      request_timeout: 60s     # how long a live node may take to answer
      benchmark_batch: 50      # each node benchmarks its model on this batch at start (t_p)
      latency: 0ms
      bandwidth: unlimited
    nodes:
      - { name: end-1, role: end, trust: dependable, model: models/end-mobilenet.onnx, port: 19101 }
      - { name: end-2, role: end, trust: dependable, model: models/end-mobilenet.onnx, port: 19102 }
      - { name: end-3, role: end, trust: dependable, model: models/end-mobilenet.onnx, port: 19103 }
      - { name: end-4, role: end, trust: dependable, model: models/end-mobilenet.onnx, port: 19104 }
      - { name: edge-1, role: edge, trust: dependable, model: models/edge-resnet.onnx, port: 19201 }
      - { name: edge-2, role: edge, trust: undependable, model: models/edge-resnet.onnx, port: 19202 }
      - { name: cloud, role: cloud, trust: undependable, model: models/cloud-wrn.onnx, port: 19301, threads: 2 }
    # Mutual TLS on every hop: the project CA and one certificate per process (`hddnn pki`; `hddnn
    # demo` and `hddnn run --start` mint them here on first use). `tls: off` for plain HTTP.
    tls: { ca: .hddnn/pki/ca.pem, certificates: .hddnn/pki, trust_domain: hddnn.local }
    links:
      - { from: coordinator, to: "end-*", latency: 1ms, bandwidth: 1Gbit/s }
      - { from: "end-*", to: "edge-*", latency: 25ms, bandwidth: 200Mbit/s }
      - { from: "end-*", to: cloud, latency: 50ms, bandwidth: 100Mbit/s }

    """#
}
