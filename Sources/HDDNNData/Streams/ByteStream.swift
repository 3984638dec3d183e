#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes read front to back, once: a plain file or the decompressed content of a gzip file.
///
/// Data set readers pull exactly what one batch needs through this, so memory stays at one
/// batch whatever the size of the file.
public protocol ByteStream: AnyObject {
    /// The file the bytes come from, for error messages.
    var path: String { get }
    /// Reads up to `buffer.count` bytes into `buffer`; returns 0 only at the end of the data.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DatasetError) -> Int
}

extension ByteStream {
    /// Reads until `buffer` is full or the data ends; returns the bytes read.
    public func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(DatasetError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Fills `bytes` as far as the data goes; returns the bytes read.
    public func fill(_ bytes: inout [UInt8]) throws(DatasetError) -> Int {
        // `withUnsafeMutableBytes` only rethrows untyped errors: carry the typed one out in a Result.
        try bytes.withUnsafeMutableBytes { b in Result { () throws(DatasetError) -> Int in try fill(b) } }.get()
    }

    /// Reads up to `count` bytes, fewer only at the end of the data.
    public func read(upTo count: Int) throws(DatasetError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = try fill(&bytes)
        bytes.removeLast(count - n)
        return bytes
    }

    /// Whether any byte is left (consumes it): used to refuse files with data past their end.
    public func hasMoreData() throws(DatasetError) -> Bool {
        var byte: [UInt8] = [0]
        return try fill(&byte) > 0
    }
}

/// Opens `path` for streaming, decompressing on the fly when the file starts with the gzip magic
/// (1f 8b), so `x-ubyte.gz` and an already unpacked `x-ubyte` read the same.
public func openByteStream(path: String) throws(DatasetError) -> any ByteStream {
    let file = try FileStream(path: path)
    return try file.startsWithGzipMagic() ? GzipStream(source: file) : file
}
