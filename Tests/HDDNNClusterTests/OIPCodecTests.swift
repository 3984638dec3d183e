import Foundation
import HDDNNCluster
import Testing

@Suite struct OIPCodecTests {
    let images = WireTensor(name: "input", shape: [2, 1, 2, 2], payload: .uint8([0, 1, 2, 3, 250, 251, 252, 255]))
    let logits = WireTensor(name: "logits", shape: [2, 3], payload: .fp32([0.5, -1, 2, 3, 0, -0.25]))

    @Test(arguments: [true, false]) func requestRoundTrips(binary: Bool) throws {
        let meta = TaskMetadata(taskID: "job/1", source: "coordinator", route: ["cloud"], deadline: 12.5)
        let body = OIPCodec.encodeRequest(id: "r1", parameters: meta.parameters, inputs: [images, logits], outputs: ["logits"], binary: binary)
        #expect((body.headerLength != nil) == binary)
        let decoded = try OIPCodec.decodeRequest(body.bytes, headerLength: body.headerLength)
        #expect(decoded.inputs == [images, logits])
        #expect(decoded.request.id == "r1")
        let back = try #require(try TaskMetadata(parameters: decoded.request.parameters))
        #expect(back == meta)
        if binary { #expect(body.bytes.count == body.headerLength! + 8 + 24, "binary tensors carry their raw bytes only") }
    }

    @Test func responseRoundTrips() throws {
        let body = OIPCodec.encodeResponse(InferenceResponse(modelName: "m", outputs: []), outputs: [logits], binary: true)
        let decoded = try OIPCodec.decodeResponse(body.bytes, headerLength: body.headerLength)
        #expect(decoded.outputs == [logits])
        #expect(decoded.outputs[0].argmaxRows() == [2, 0])
    }

    @Test func nestedJSONDataIsAccepted() throws {
        let json = #"{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4.5]]}]}"#
        let decoded = try OIPCodec.decodeRequest(Array(json.utf8), headerLength: nil)
        #expect(decoded.inputs[0].payload == .fp32([1, 2, 3, 4.5]))
    }

    /// Every malformed body is a 400 whose message names the problem.
    @Test(arguments: [
        (#"{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1]}]}"#, nil, "has 1 values but shape [2] needs 2"),
        (#"{"inputs":[{"name":"x","shape":[2],"datatype":"BF16","data":[1,2]}]}"#, nil, "supported: FP32, UINT8, INT64"),
        (#"{"inputs":[{"name":"x","shape":[-2],"datatype":"FP32","data":[]}]}"#, nil, "negative dimension"),
        (#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32"}]}"#, nil, "neither data nor binary_data_size"),
        (#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}"#, nil, "no Inference-Header-Content-Length"),
        (#"{"inputs":[]}"#, nil, "no inputs"),
        (#"{"inputs":[{"name":"x","shape":[1],"datatype":"UINT8","data":[300]}]}"#, nil, "outside 0...255"),
        (#"{"inputz":1}"#, nil, "missing field 'inputs'"),
        (#"{not json"#, nil, "not valid JSON"),
        (#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}"#, 4096, "body has"),
        (#"{"inputs":[{"name":"x","shape":[100000,100000,100000],"datatype":"FP32","data":[1]}]}"#, nil, "too large"),
    ] as [(String, Int?, String)])
    func malformedRequests(json: String, headerLength: Int?, expected: String) {
        do {
            _ = try OIPCodec.decodeRequest(Array(json.utf8), headerLength: headerLength)
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.status == 400)
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test func binarySizesMustAgree() throws {
        let header = #"{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}]}"#
        let h = header.utf8.count
        func decode(_ extra: Int, declared: Int = h) throws(OIPError) {
            _ = try OIPCodec.decodeRequest(Array(header.utf8) + [UInt8](repeating: 0, count: extra), headerLength: declared)
        }
        try decode(8)
        #expect(throws: OIPError.self) { try decode(4) }        // short
        #expect(throws: OIPError.self) { try decode(12) }       // unclaimed bytes
        #expect(throws: OIPError.self) { try decode(8, declared: h + 100) }  // header longer than body
        let wrong = #"{"inputs":[{"name":"x","shape":[3],"datatype":"FP32","parameters":{"binary_data_size":8}}]}"#
        #expect(throws: OIPError.self) { _ = try OIPCodec.decodeRequest(Array(wrong.utf8) + [UInt8](repeating: 0, count: 8), headerLength: wrong.utf8.count) }
    }

    @Test func metadataRejectsMalformedFields() throws {
        #expect(throws: OIPError.self) { _ = try TaskMetadata(parameters: ["hddnn_task_id": .int(3)]) }
        #expect(throws: OIPError.self) { _ = try TaskMetadata(parameters: ["hddnn_task_id": .string("t"), "hddnn_path": .string("[{")]) }
        #expect(throws: OIPError.self) { _ = try TaskMetadata(parameters: ["hddnn_task_id": .string("t"), "hddnn_payload": .string("secret")]) }
        #expect(try TaskMetadata(parameters: ["binary_data_output": .bool(true)]) == nil, "plain OIP requests carry no HDDNN record")
    }
}
