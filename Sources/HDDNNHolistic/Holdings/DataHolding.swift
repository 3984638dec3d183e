import HDDNNCluster
import HDDNNData

/// Records a node holds and never gives away: it reads the rows a request names and feeds them to
/// a model here, or (privacy rule permitting) to a peer. One concrete type per kind of data.
public protocol DataHolding: Sendable {
    /// What the catalogue may know about the holding: its source and part, never its values.
    var description: HoldingDescription { get }
    /// The records `ids` of `partition` as they would travel (UINT8 pixels, FP32 columns), shaped
    /// for `semantics`' model: `[N] + sampleShape`.
    func records(_ ids: [Int64], partition: String, for semantics: ModelCard.Semantics) throws(HolisticError) -> WireTensor
}

/// A holding as the catalogue lists it.
public struct HoldingDescription: Codable, Sendable, Equatable {
    public var source: String
    /// "view top" or "columns cd40, cd420, ...".
    public var part: String
    public var view: String?
    public var columns: [String]?
    /// Records by partition ("test": 10000).
    public var records: [String: Int]

    public init(source: String, part: String, view: String? = nil, columns: [String]? = nil, records: [String: Int]) {
        self.source = source
        self.part = part
        self.view = view
        self.columns = columns
        self.records = records
    }

    /// Whether a model with these semantics reads this holding.
    public func serves(_ s: ModelCard.Semantics) -> Bool {
        guard s.source == source else { return false }
        if let v = s.view { return v == view }
        guard let wanted = s.columns, let have = columns else { return false }
        return Set(wanted).isSubset(of: have)
    }
}

/// Opens the holding a deployment file describes.
public enum DataHoldings {
    public static func open(_ spec: HoldingSpec) throws(HolisticError) -> any DataHolding {
        switch (spec.view, spec.file) {
        case (let view?, nil) where spec.source == "fashion-mnist":
            return try ImageViewHolding(view: view, directory: spec.directory ?? FashionMNIST.defaultDirectory)
        case (nil, let file?):
            return try TableHolding(source: spec.source, file: file)
        default:
            throw .config("data of source '\(spec.source)': give `view` (fashion-mnist: top, bottom, whole) or `file` (a CSV whose first column is the record key)")
        }
    }
}
