/// Why a data set file could not be read. Each message names the file and what to do about it.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is missing or cannot be opened or read.
    case unreadable(path: String, reason: String)
    /// The gzip stream is damaged (bad header, bad deflate data, CRC or length mismatch).
    case corruptGzip(path: String, reason: String)
    /// The gzip stream stops before its end marker: the download or copy was cut short.
    case truncatedGzip(path: String, compressedBytes: Int)
    /// The first bytes are not an IDX header (two zero bytes, a type byte, a dimension count).
    case badMagic(path: String, found: [UInt8])
    /// An IDX element type other than unsigned byte (0x08), the only one image data sets use.
    case unsupportedElementType(path: String, code: UInt8)
    /// The IDX dimensions are not what the data set defines (e.g. images not `[N, 28, 28]`).
    case unexpectedShape(path: String, expected: String, got: [Int])
    /// The image and label files disagree on how many samples there are.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// The file ends inside its IDX header.
    case truncatedHeader(path: String)
    /// The data ends before the header's item count is reached.
    case truncated(path: String, expectedItems: Int, gotItems: Int)
    /// Bytes follow the last item the header announces.
    case trailingData(path: String, items: Int)
    /// A label outside the data set's label range.
    case labelOutOfRange(path: String, sample: Int, label: Int, classes: Int)
    /// A CIFAR-100 record whose coarse label is not the superclass of its fine label.
    case coarseLabelMismatch(path: String, sample: Int, fine: Int, coarse: Int, expected: Int)
    /// A fixed-size-record file whose size is not a whole number of records.
    case partialRecord(path: String, fileSize: Int, recordSize: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "cannot read \(path): \(reason)"
        case let .corruptGzip(path, reason):
            "\(path) is a damaged gzip file (\(reason)); download or copy it again"
        case let .truncatedGzip(path, bytes):
            "\(path) is a truncated gzip file (the stream ends after \(bytes) compressed bytes without its end marker); download or copy it again"
        case let .badMagic(path, found):
            "\(path) is not an IDX file (first bytes \(found.map { String($0, radix: 16) }), expected 00 00 08 and a dimension count); point --data at the folder with the original *-ubyte.gz files"
        case let .unsupportedElementType(path, code):
            "\(path): IDX element type 0x\(String(code, radix: 16)) is not supported; image data sets store unsigned bytes (0x08)"
        case let .unexpectedShape(path, expected, got):
            "\(path): IDX dimensions \(got), expected \(expected); the file belongs to another data set or is corrupt"
        case let .countMismatch(images, imageCount, labels, labelCount):
            "\(images) holds \(imageCount) images but \(labels) holds \(labelCount) labels; the two files come from different splits or data sets"
        case let .truncatedHeader(path):
            "\(path) ends inside its IDX header; the file is truncated, download or copy it again"
        case let .truncated(path, expected, got):
            "\(path) is truncated: the header announces \(expected) items but the data ends after \(got); download or copy it again"
        case let .trailingData(path, items):
            "\(path) has bytes after its \(items) announced items; the file is corrupt or its header is wrong"
        case let .labelOutOfRange(path, sample, label, classes):
            "\(path): sample \(sample) has label \(label), outside 0..<\(classes); the file is corrupt or belongs to another data set"
        case let .coarseLabelMismatch(path, sample, fine, coarse, expected):
            "\(path): sample \(sample) has fine label \(fine) and coarse label \(coarse), but CIFAR-100 puts fine label \(fine) in superclass \(expected); the file is corrupt or not CIFAR-100"
        case let .partialRecord(path, size, record):
            "\(path) has \(size) bytes, not a whole number of \(record)-byte records; the file is truncated or not in the CIFAR binary format"
        }
    }
}
