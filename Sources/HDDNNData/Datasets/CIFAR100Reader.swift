import HDDNNRuntime

/// Streams the records of one CIFAR-100 binary file (`CIFAR100.recordSize` bytes each).
///
/// The sample count comes from the file size, which must be a whole number of records. Each
/// record's coarse label is checked against `Taxonomy.cifar100`'s mapping of its fine label: a
/// file whose labels disagree is corrupt, or uses another label order, and would make every
/// coarse accuracy wrong.
public final class CIFAR100Reader: LabeledImageReader {
    public let name: String
    public let count: Int
    public let taxonomy: Taxonomy = .cifar100
    public var sampleShape: [Int] { CIFAR100.sampleShape }
    private let stream: FileStream
    private var read = 0
    private var records: [UInt8] = []

    public init(path: String, name: String? = nil) throws(DatasetError) {
        stream = try FileStream(path: path)
        let size = try stream.size()
        guard size % CIFAR100.recordSize == 0 else {
            throw .partialRecord(path: path, fileSize: size, recordSize: CIFAR100.recordSize)
        }
        count = size / CIFAR100.recordSize
        self.name = name ?? "cifar100 \(path)"
    }

    public func next(maxCount: Int) throws(DatasetError) -> LabeledBatch? {
        precondition(maxCount > 0, "batch size must be positive")
        let n = min(maxCount, count - read)
        guard n > 0 else {
            if try stream.hasMoreData() { throw .trailingData(path: stream.path, items: count) }  // the file grew
            return nil
        }
        let bytes = n * CIFAR100.recordSize
        if records.count != bytes { records = [UInt8](repeating: 0, count: bytes) }
        let got = try stream.fill(&records)
        guard got == bytes else { throw .truncated(path: stream.path, expectedItems: count, gotItems: read + got / CIFAR100.recordSize) }

        let pixels = CIFAR100.recordSize - 2
        var fine = [Int](), coarse = [Int](), images = [Float]()
        fine.reserveCapacity(n)
        coarse.reserveCapacity(n)
        images.reserveCapacity(n * pixels)
        for r in 0..<n {
            let base = r * CIFAR100.recordSize
            let c = Int(records[base]), f = Int(records[base + 1])
            guard f < taxonomy.fineLabels.count else {
                throw .labelOutOfRange(path: stream.path, sample: read + r, label: f, classes: taxonomy.fineLabels.count)
            }
            guard c == taxonomy.fineToCoarse[f] else {
                throw .coarseLabelMismatch(path: stream.path, sample: read + r, fine: f, coarse: c, expected: taxonomy.fineToCoarse[f])
            }
            fine.append(f)
            coarse.append(c)
            images.append(contentsOf: normalizedPixels(records[(base + 2)..<(base + CIFAR100.recordSize)]))
        }
        read += n
        return LabeledBatch(images: Tensor(shape: [n] + sampleShape, floats: images), fine: fine, coarse: coarse)
    }
}
