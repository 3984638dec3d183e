import HDDNNCluster
import HDDNNData
import HDDNNRuntime

/// The job's images as the end devices' sensors would give them: UINT8 pixels, with both labels
/// for scoring. Held in memory (10,000 Fashion-MNIST images are 7.8 MB).
public struct JobData: Sendable {
    public let sampleShape: [Int]
    public let pixels: [UInt8]
    public let fine: [Int]
    public let coarse: [Int]
    public let taxonomy: Taxonomy

    public var count: Int { fine.count }

    /// The first `limit` test images of Fashion-MNIST.
    public static func fashionMNIST(directory: String, limit: Int) throws(DatasetError) -> JobData {
        let reader = try FashionMNIST.open(directory: directory, split: .test)
        var pixels: [UInt8] = []
        var fine: [Int] = []
        var coarse: [Int] = []
        while fine.count < limit, let batch = try reader.next(maxCount: min(1000, limit - fine.count)) {
            pixels += batch.images.floats.map { UInt8(($0 * 255).rounded()) }
            fine += batch.fine
            coarse += batch.coarse
        }
        return JobData(sampleShape: reader.sampleShape, pixels: pixels, fine: fine, coarse: coarse, taxonomy: reader.taxonomy)
    }

    public init(sampleShape: [Int], pixels: [UInt8], fine: [Int], coarse: [Int], taxonomy: Taxonomy) {
        self.sampleShape = sampleShape
        self.pixels = pixels
        self.fine = fine
        self.coarse = coarse
        self.taxonomy = taxonomy
    }

    /// Images `first ..< first + count` as a UINT8 tensor.
    public func tensor(first: Int, count: Int, name: String) -> WireTensor {
        let per = sampleShape.reduce(1, *)
        return WireTensor(name: name, shape: [count] + sampleShape, payload: .uint8(Array(pixels[first * per ..< (first + count) * per])))
    }

    /// Images `first + k` for each `k` of `rows`, as one UINT8 tensor (the uncertain images of a
    /// task that the escalation scheme sends on).
    public func tensor(first: Int, rows: [Int], name: String) -> WireTensor {
        let per = sampleShape.reduce(1, *)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.count * per)
        for k in rows { bytes += pixels[(first + k) * per ..< (first + k + 1) * per] }
        return WireTensor(name: name, shape: [rows.count] + sampleShape, payload: .uint8(bytes))
    }
}
