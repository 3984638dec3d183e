/// Streams the items of one IDX file, the format of MNIST and Fashion-MNIST.
///
/// Format (LeCun's MNIST page): two zero bytes, an element-type byte (0x08 = unsigned byte), a
/// dimension count `d`, then `d` big-endian `UInt32` dimensions, then the elements in C order.
/// The first dimension counts the items (images or labels); the rest is one item's shape. The
/// reader holds only the header and the caller's batch: the header's count is checked against the
/// data as it streams (too few bytes is `truncated`, bytes past the last item `trailingData`).
public final class IDXReader {
    public var path: String { stream.path }
    /// All dimensions, the item count first.
    public let dimensions: [Int]
    /// Items the header announces.
    public var count: Int { dimensions[0] }
    /// Bytes one item takes (the product of the dimensions after the first).
    public let itemSize: Int
    /// Items handed out so far.
    public private(set) var itemsRead = 0
    private let stream: any ByteStream

    /// The largest item accepted (16 MiB): a bound so a corrupt header cannot ask for absurd buffers.
    static let maxItemSize = 1 << 24

    public convenience init(path: String) throws(DatasetError) {
        try self.init(stream: openByteStream(path: path))
    }

    public init(stream: any ByteStream) throws(DatasetError) {
        self.stream = stream
        let magic = try stream.read(upTo: 4)
        guard magic.count == 4, magic[0] == 0, magic[1] == 0, magic[3] >= 1 else {
            throw .badMagic(path: stream.path, found: magic)
        }
        guard magic[2] == 0x08 else { throw .unsupportedElementType(path: stream.path, code: magic[2]) }
        let rank = Int(magic[3])
        let raw = try stream.read(upTo: 4 * rank)
        guard raw.count == 4 * rank else { throw .truncatedHeader(path: stream.path) }
        dimensions = (0..<rank).map { i in raw[4 * i ..< 4 * i + 4].reduce(0) { $0 << 8 | Int($1) } }
        var size = 1
        for d in dimensions.dropFirst() {
            size *= d
            guard size <= Self.maxItemSize else {
                throw .unexpectedShape(path: stream.path, expected: "items of at most \(Self.maxItemSize) bytes", got: dimensions)
            }
        }
        itemSize = size
    }

    /// Reads up to `maxItems` items into `buffer` (resized to fit); returns how many, 0 once all
    /// announced items were read and the file was checked to end there.
    public func next(maxItems: Int, into buffer: inout [UInt8]) throws(DatasetError) -> Int {
        let items = min(maxItems, count - itemsRead)
        guard items > 0 else {
            if itemsRead == count, try stream.hasMoreData() { throw .trailingData(path: path, items: count) }
            return 0
        }
        let bytes = items * itemSize
        if buffer.count != bytes { buffer = [UInt8](repeating: 0, count: bytes) }
        let got = try stream.fill(&buffer)
        guard got == bytes else {
            throw .truncated(path: path, expectedItems: count, gotItems: itemsRead + got / max(itemSize, 1))
        }
        itemsRead += items
        return items
    }
}
