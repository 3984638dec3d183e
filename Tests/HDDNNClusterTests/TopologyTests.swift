import Foundation
import HDDNNCluster
import HDDNNTestSupport
import Testing

@Suite struct TopologyTests {
    @Test func shippedTopologiesLoad() throws {
        let local = try Topology.load(Repository.root.appendingPathComponent("configs/local.yaml").path)
        #expect(local.nodes(.end).count == 4 && local.nodes(.edge).count == 2 && local.nodes(.cloud).count == 1)
        #expect(local.modelURL(try local.node("cloud")).path == Repository.models.appendingPathComponent("cloud-wrn.onnx").path)
        #expect(local.link("end-3", "cloud") == LinkProfile(latency: 0.05, bandwidth: 100e6 / 8))
        #expect(local.link("cloud", "end-3") == local.link("end-3", "cloud"), "links are symmetric")
        #expect(local.link("edge-1", "cloud") == LinkProfile(latency: 0), "unlisted pairs get the defaults")

        let paper = try Topology.load(Repository.root.appendingPathComponent("configs/paper.yaml").path)
        #expect(paper.nodes(.end).count == 8 && paper.nodes(.edge).count == 4 && paper.nodes(.cloud).count == 1)
        // The paper's waits per exchange: 0.5 s to an edge device, 1 s to the cloud.
        #expect(2 * paper.link("end-5", "edge-2").latency == 0.5)
        #expect(2 * paper.link("end-5", "cloud").latency == 1.0)
        #expect(try paper.node("cloud").trust == .undependable)
    }

    /// TLS unless a topology says `tls: off`: without a `tls` key its PKI is `.hddnn/pki` beside it.
    @Test func tlsIsOnUnlessTheTopologySaysOff() throws {
        let dir = try Repository.workspace("tls-default")
        func load(_ tls: String) throws -> Topology {
            let path = dir.appendingPathComponent("t.yaml").path
            try "\(tls)\nnodes:\n  - { name: end-1, role: end, trust: dependable, model: m.onnx, port: 1 }\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            return try Topology.load(path)
        }
        let implicit = try #require(try load("").tls)
        #expect(implicit.ca == dir.appendingPathComponent(".hddnn/pki/ca.pem").standardizedFileURL.path)
        #expect(implicit.certificates == dir.appendingPathComponent(".hddnn/pki").standardizedFileURL.path)
        #expect(implicit.tokens == dir.appendingPathComponent(".hddnn/pki/tokens.pem").standardizedFileURL.path)
        #expect(try load("defaults: {}").baseURL(try load("").node("end-1")).hasPrefix("https://end-1.end.dependable.default.node.hddnn.local:"))
        #expect(try load("tls: off").tls == nil)
        #expect(try load("tls: false").tls == nil)
        let named = try #require(try load("tls: { ca: pki/ca.pem, certificates: pki, tokens: keys/t.pem }").tls)
        #expect(named.tokens == dir.appendingPathComponent("keys/t.pem").standardizedFileURL.path)
        #expect(throws: TopologyError.self) { try load("tls: { ca: a.pem, certificates: c, password: x }") }
    }

    @Test func embeddedCopyMatchesConfigsLocal() throws {
        let file = try String(contentsOf: Repository.root.appendingPathComponent("configs/local.yaml"), encoding: .utf8)
        #expect(Topology.localYAML == file, "hddnn demo's embedded topology must stay identical to configs/local.yaml")
    }

    @Test func quantities() throws {
        #expect(try Quantity.seconds("250ms", field: "f") == 0.25)
        #expect(try Quantity.seconds("1.5s", field: "f") == 1.5)
        #expect(try Quantity.seconds("15m", field: "f") == 900 && Quantity.seconds("2h", field: "f") == 7200)
        #expect(try Quantity.seconds("0", field: "f") == 0)
        #expect(try Quantity.bytesPerSecond("100Mbit/s", field: "f") == 12.5e6)
        #expect(try Quantity.bytesPerSecond("2MB/s", field: "f") == 2e6)
        #expect(try Quantity.bytesPerSecond("unlimited", field: "f") == .infinity)
        #expect(throws: TopologyError.self) { try Quantity.seconds("soon", field: "f") }
        #expect(throws: TopologyError.self) { try Quantity.bytesPerSecond("-3Mbit/s", field: "f") }
        #expect(LinkProfile(latency: 0.1, bandwidth: 1e6).seconds(bytes: 500_000) == 0.6, "eq. 18: latency + B / b")
    }

    @Test func badFilesNameTheField() throws {
        func error(_ yaml: String) -> String {
            do { _ = try Topology.parse(yaml, baseDirectory: Repository.root); return "" } catch { return "\(error)" }
        }
        #expect(error("nodes: []").contains("nodes"))
        #expect(error("nodes:\n  - { name: a, role: end, model: m.onnx }").contains("nodes.a.port"))
        #expect(error("nodes:\n  - { name: a, role: boss, model: m.onnx, port: 1 }").contains("end, edge or cloud"))
        #expect(error("nodes:\n  - { name: a, role: end, model: m.onnx, port: 1 }\n  - { name: a, role: end, model: m.onnx, port: 2 }").contains("twice"))
        #expect(error("nodes:\n  - { name: a, role: edge, model: m.onnx, port: 1 }").contains("no end node"))
        #expect(error("nodes:\n  - { name: a, role: end, trust: undependable, model: m.onnx, port: 1 }").contains("dependable"))
        #expect(error("nodes:\n  - { name: a, role: end, model: m.onnx, port: 1, slowdown: 0.5 }").contains(">= 1"))
        #expect(error("defaults: { timeout: later }\nnodes:\n  - { name: a, role: end, model: m.onnx, port: 1 }").contains("defaults.timeout"))
        #expect(error("nodez: 1").contains("unknown top-level key"))
        #expect(error(": : :").contains("not a valid topology"))
    }
}

@Suite struct LinkEmulatorTests {
    /// Transmission serialises on a link direction, propagation overlaps (eq. 18 per message).
    @Test func bytesQueueAndLatencyOverlaps() async throws {
        let topology = try Topology(
            nodes: [NodeSpec(name: "a", role: .end, trust: .dependable, model: "m.onnx", port: 1)],
            links: [LinkSpec(from: "a", to: "b", latency: 0.1, bandwidth: 10e6)], baseDirectory: Repository.root)
        let links = LinkEmulator(topology: topology)
        // One message alone: latency + bytes / bandwidth. (Upper bounds are loose: other suites
        // run the engine on the same two cores.)
        let clock0 = ContinuousClock.now
        await links.transmit(from: "b", to: "a", bytes: 500_000)
        #expect((ContinuousClock.now - clock0).seconds >= 0.15 - 0.005)
        let clock = ContinuousClock()
        let start = clock.now
        async let first: Void = links.transmit(from: "a", to: "b", bytes: 1_000_000)   // 0.1 s on the wire
        async let second: Void = links.transmit(from: "a", to: "b", bytes: 1_000_000)  // waits for the first
        _ = await (first, second)
        let both = (clock.now - start).seconds
        #expect(both >= 0.3 - 0.01, "two 1 MB messages at 10 MB/s with 0.1 s latency: \(both) s")
        let free = clock.now
        await links.transmit(from: "a", to: "c", bytes: 1_000_000)
        #expect((clock.now - free).seconds < 0.1, "an unlisted pair is free")
    }
}
