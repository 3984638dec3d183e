import HDDNNRuntime

/// Images and labels from a pair of IDX files (MNIST's layout, kept by Fashion-MNIST), streamed
/// in step.
///
/// The image file must be `[N, H, W]` unsigned bytes and the label file `[N]`; both headers are
/// checked when the reader opens, so a mismatched pair fails before any work is done.
public final class IDXImageReader: LabeledImageReader {
    public let name: String
    public let taxonomy: Taxonomy
    public let sampleShape: [Int]
    public var count: Int { images.count }
    private let images: IDXReader
    private let labels: IDXReader
    private var imageBytes: [UInt8] = []
    private var labelBytes: [UInt8] = []

    /// Opens the pair; `imageSize` is the expected `[H, W]` (nil accepts any).
    public init(name: String, images imagePath: String, labels labelPath: String, taxonomy: Taxonomy,
                imageSize: [Int]? = nil) throws(DatasetError) {
        let images = try IDXReader(path: imagePath)
        let labels = try IDXReader(path: labelPath)
        let expected = imageSize.map { "[N, \($0.map(String.init).joined(separator: ", "))]" } ?? "[N, H, W]"
        guard images.dimensions.count == 3, imageSize == nil || Array(images.dimensions.dropFirst()) == imageSize! else {
            throw .unexpectedShape(path: imagePath, expected: expected, got: images.dimensions)
        }
        guard labels.dimensions.count == 1 else {
            throw .unexpectedShape(path: labelPath, expected: "[N]", got: labels.dimensions)
        }
        guard images.count == labels.count else {
            throw .countMismatch(images: imagePath, imageCount: images.count, labels: labelPath, labelCount: labels.count)
        }
        self.name = name
        self.taxonomy = taxonomy
        self.images = images
        self.labels = labels
        self.sampleShape = [1] + images.dimensions.dropFirst()
    }

    public func next(maxCount: Int) throws(DatasetError) -> LabeledBatch? {
        precondition(maxCount > 0, "batch size must be positive")
        let start = images.itemsRead
        let n = try images.next(maxItems: maxCount, into: &imageBytes)
        let m = try labels.next(maxItems: maxCount, into: &labelBytes)
        guard n == m else {  // counts were checked at open, so only the end check can differ here
            throw .countMismatch(images: images.path, imageCount: images.count, labels: labels.path, labelCount: labels.count)
        }
        guard n > 0 else { return nil }
        let classes = taxonomy.fineLabels.count
        var fine = [Int](), coarse = [Int]()
        fine.reserveCapacity(n)
        coarse.reserveCapacity(n)
        for (i, byte) in labelBytes.enumerated() {
            let label = Int(byte)
            guard label < classes else { throw .labelOutOfRange(path: labels.path, sample: start + i, label: label, classes: classes) }
            fine.append(label)
            coarse.append(taxonomy.fineToCoarse[label])
        }
        return LabeledBatch(images: Tensor(shape: [n] + sampleShape, floats: normalizedPixels(imageBytes)), fine: fine, coarse: coarse)
    }
}
