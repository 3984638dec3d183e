#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read with POSIX `read(2)`: no Foundation buffering, typed errors, closed on deinit.
public final class FileStream: ByteStream {
    public let path: String
    private let fd: Int32

    public init(path: String) throws(DatasetError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .unreadable(path: path, reason: Self.errnoText()) }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .unreadable(path: path, reason: "it is a folder, not a file")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(DatasetError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(fd, base, buffer.count)
            #else
            let n = Darwin.read(fd, base, buffer.count)
            #endif
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw .unreadable(path: path, reason: Self.errnoText())
        }
    }

    /// The file's size in bytes: fixed-size-record formats (CIFAR) derive their count from it.
    public func size() throws(DatasetError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, reason: Self.errnoText()) }
        return Int(info.st_size)
    }

    /// Whether the file begins with gzip's magic bytes; reads with `pread`, so the stream
    /// position stays at the start.
    func startsWithGzipMagic() throws(DatasetError) -> Bool {
        var magic: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) }
        guard n >= 0 else { throw .unreadable(path: path, reason: Self.errnoText()) }
        return n == 2 && magic == (0x1f, 0x8b)
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
