/// A tier served by an Open Inference Protocol v2 server this project did not write (MLServer,
/// Triton, KServe): where it listens and the model it serves for this node. Nothing HDDNN-specific
/// is asked of it: it gets plain OIP requests (JSON tensors, no `hddnn_` parameters), what it
/// echoes is kept, its health feeds the Monitor and its model metadata the wiring check, and its
/// compute time is measured from outside.
///
/// It proves no identity (plain HTTP), so it must be undependable: only a split's feature maps
/// go to it, cut by our dependable nodes with the head of the topology's `model` (whose card says
/// what the tier answers), and the model it serves is that split's tail (`hddnn split`).
public struct ForeignServer: Sendable, Equatable {
    /// `http://host:port`, the server's base URL.
    public var url: String
    /// The model's name on that server.
    public var model: String
    /// The version to call (`/versions/{v}`); nil: the server's default.
    public var version: String?

    public init(url: String, model: String, version: String? = nil) {
        self.url = url
        self.model = model
        self.version = version
    }

    /// Host and port of `url`, which must be plain `http://host:port`.
    static func address(of url: String, field: String) throws(TopologyError) -> (host: String, port: Int) {
        guard url.hasPrefix("http://") else {
            throw .invalidField(field: field, reason: "'\(url)' is not an http:// URL; foreign servers are reached over plain HTTP (they hold no project certificate), so they only ever get feature maps")
        }
        let rest = url.dropFirst("http://".count).split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1..<65536).contains(port),
              !rest[..<colon].isEmpty else {
            throw .invalidField(field: field, reason: "'\(url)' needs a host and a port, as in http://127.0.0.1:8080")
        }
        return (String(rest[..<colon]), port)
    }
}
