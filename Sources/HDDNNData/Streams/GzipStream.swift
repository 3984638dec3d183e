import CZlib

/// The decompressed bytes of a gzip file, inflated a buffer at a time with zlib.
///
/// `inflateInit2` with window bits 15 + 32 detects the gzip (or zlib) header itself. A file may
/// hold several gzip members back to back (what `cat a.gz b.gz` makes, and valid gzip), so the
/// stream resets at each member's end and goes on while input remains. Input that ends inside a
/// member is reported as truncation; zlib's `Z_DATA_ERROR` (bad header, bad deflate data, CRC or
/// length mismatch in the trailer) as corruption.
public final class GzipStream: ByteStream {
    public var path: String { source.path }
    private let source: FileStream
    /// Heap-allocated because zlib keeps a pointer back to the `z_stream` and refuses one that moved.
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var compressedBytes = 0
    /// True right after a member's end marker: the input may end here without truncation.
    private var atMemberEnd = false
    private var finished = false

    static let inputBufferSize = 1 << 16

    public init(source: FileStream) throws(DatasetError) {
        self.source = source
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: Self.inputBufferSize, alignment: 16)
        let rc = inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            input.deallocate()
            throw .corruptGzip(path: source.path, reason: "zlib could not start inflating (code \(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(DatasetError) -> Int {
        guard !finished, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let capacity = min(buffer.count, Int(UInt32.max))
        stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(capacity)
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 {
                let n = try source.read(into: input)
                if n == 0 {
                    guard atMemberEnd else { throw .truncatedGzip(path: path, compressedBytes: compressedBytes) }
                    finished = true
                    break
                }
                compressedBytes += n
                stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = UInt32(n)
            }
            let rc = inflate(stream, Z_NO_FLUSH)
            atMemberEnd = rc == Z_STREAM_END
            switch rc {
            case Z_OK:
                continue
            case Z_STREAM_END:
                inflateReset(stream)
            case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                continue  // needs more input: read it on the next turn
            case Z_DATA_ERROR, Z_NEED_DICT:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "invalid deflate data"
                throw .corruptGzip(path: path, reason: reason)
            case Z_MEM_ERROR:
                throw .unreadable(path: path, reason: "zlib ran out of memory")
            default:
                throw .corruptGzip(path: path, reason: "zlib error \(rc)")
            }
        }
        return capacity - Int(stream.pointee.avail_out)
    }
}
