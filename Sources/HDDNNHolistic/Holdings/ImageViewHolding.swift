import HDDNNCluster
import HDDNNData

/// A sensor's share of Fashion-MNIST: every image of both partitions, of which it keeps only its
/// view's rows (the top half, the bottom half, or all 28): what a camera that sees that part of
/// the item would have recorded. The rest of each image is dropped when the files are read.
public final class ImageViewHolding: DataHolding {
    public let view: String
    public let rows: Range<Int>
    /// Pixels by partition: `count x rows.count x 28` bytes.
    private let pixels: [String: [UInt8]]
    private let counts: [String: Int]

    public static let views: [String: Range<Int>] = ["top": 0..<14, "bottom": 14..<28, "whole": 0..<28]

    public init(view: String, directory: String = FashionMNIST.defaultDirectory) throws(HolisticError) {
        guard let rows = Self.views[view] else {
            throw .config("fashion-mnist view '\(view)' is not one of \(Self.views.keys.sorted().joined(separator: ", "))")
        }
        self.view = view
        self.rows = rows
        var pixels: [String: [UInt8]] = [:]
        var counts: [String: Int] = [:]
        for split in DatasetSplit.allCases {
            let reader: IDXReader
            do { reader = try IDXReader(path: FashionMNIST.existing(directory, FashionMNIST.files(split).images)) } catch {
                throw .data("\(error)")
            }
            var all: [UInt8] = []
            do { _ = try reader.next(maxItems: reader.count, into: &all) } catch { throw .data("\(error)") }
            var kept = [UInt8]()
            kept.reserveCapacity(reader.count * rows.count * 28)
            for i in 0..<reader.count {
                let image = i * 784
                kept.append(contentsOf: all[(image + rows.lowerBound * 28)..<(image + rows.upperBound * 28)])
            }
            pixels[split.rawValue] = kept
            counts[split.rawValue] = reader.count
        }
        self.pixels = pixels
        self.counts = counts
    }

    public var description: HoldingDescription {
        HoldingDescription(source: "fashion-mnist", part: "view \(view) (rows \(rows.lowerBound)-\(rows.upperBound - 1))",
                           view: view, records: counts)
    }

    public func records(_ ids: [Int64], partition: String, for semantics: ModelCard.Semantics) throws(HolisticError) -> WireTensor {
        guard semantics.view == view else {
            throw .data("this node holds view '\(view)'; the model reads \(semantics.inputDescription)")
        }
        guard let data = pixels[partition], let count = counts[partition] else {
            throw .data("fashion-mnist partition '\(partition)' does not exist; use test or train")
        }
        let size = rows.count * 28
        var out = [UInt8]()
        out.reserveCapacity(ids.count * size)
        for id in ids {
            guard id >= 0, id < count else { throw .data("fashion-mnist \(partition) has records 0...\(count - 1), not \(id)") }
            let at = Int(id) * size
            out.append(contentsOf: data[at..<(at + size)])
        }
        return WireTensor(name: "records", shape: [ids.count, 1, rows.count, 28], payload: .uint8(out))
    }
}
