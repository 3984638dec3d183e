import Foundation
import HDDNNData
import Testing

/// Streaming gzip: whole files come back byte for byte whatever the read size; damaged and
/// cut-short files give their own errors.
struct GzipStreamTests {
    /// 300 kB that compress, but not to nothing (several deflate blocks, several input buffers).
    static let payload: [UInt8] = {
        var x: UInt32 = 1
        return (0..<300_000).map { i in x = x &* 1_664_525 &+ 1_013_904_223; return UInt8(truncatingIfNeeded: i % 251 < 200 ? i % 13 : Int(x >> 24)) }
    }()

    static func readAll(_ stream: any ByteStream, chunk: Int) throws -> [UInt8] {
        var out = [UInt8]()
        while true {
            let part = try stream.read(upTo: chunk)
            if part.isEmpty { return out }
            out += part
        }
    }

    static func write(_ bytes: [UInt8], in dir: URL, _ name: String = "x.gz") throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test(arguments: [1, 1000, 65_536, 1_000_000])
    func roundTripsAtAnyReadSize(chunk: Int) throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.write(TestFiles.gzip(Array(Self.payload.prefix(chunk == 1 ? 20_000 : 300_000))), in: dir)
        let stream = try openByteStream(path: path)
        #expect(stream is GzipStream)
        #expect(try Self.readAll(stream, chunk: chunk) == Array(Self.payload.prefix(chunk == 1 ? 20_000 : 300_000)))
        #expect(try stream.read(upTo: 10).isEmpty)
    }

    @Test func concatenatedMembersReadAsOneStream() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = Array(Self.payload.prefix(1000)), b = Array(Self.payload.suffix(5000))
        let path = try Self.write(TestFiles.gzip(a) + TestFiles.gzip(b), in: dir)
        #expect(try Self.readAll(openByteStream(path: path), chunk: 777) == a + b)
    }

    @Test func plainFilesPassThrough() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.write(Array(Self.payload.prefix(70_000)), in: dir, "plain")
        let stream = try openByteStream(path: path)
        #expect(stream is FileStream)
        #expect(try Self.readAll(stream, chunk: 4096) == Array(Self.payload.prefix(70_000)))
    }

    @Test(arguments: [10, 100, 1000, -8, -1])
    func truncatedGzipIsReported(keep: Int) throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = TestFiles.gzip(Self.payload)
        let cut = keep > 0 ? Array(whole.prefix(keep)) : Array(whole.dropLast(-keep))
        let path = try Self.write(cut, in: dir)
        #expect(throws: DatasetError.truncatedGzip(path: path, compressedBytes: cut.count)) {
            try Self.readAll(openByteStream(path: path), chunk: 4096)
        }
        #expect(DatasetError.truncatedGzip(path: path, compressedBytes: cut.count).description.contains("truncated gzip file"))
    }

    @Test func corruptDataAndChecksumAreReported() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var damaged = TestFiles.gzip(Self.payload)
        let crc = damaged.count - 6  // inside the trailer's CRC-32
        damaged[crc] ^= 0xff
        let path = try Self.write(damaged, in: dir)
        do {
            _ = try Self.readAll(openByteStream(path: path), chunk: 4096)
            Issue.record("a damaged CRC was accepted")
        } catch let error as DatasetError {
            guard case .corruptGzip(_, let reason) = error else { Issue.record("got \(error)"); return }
            #expect(reason.contains("incorrect data check"))
            #expect(error.description.contains("damaged gzip file"))
        }

        var garbage = TestFiles.gzip(Self.payload)
        garbage[3] = 0xff  // reserved header flag bits
        let path2 = try Self.write(garbage, in: dir, "bad-header.gz")
        #expect(throws: DatasetError.self) { try Self.readAll(openByteStream(path: path2), chunk: 4096) }
    }

    @Test func missingFileSaysSo() {
        #expect(throws: DatasetError.unreadable(path: "/nonexistent/x.gz", reason: "No such file or directory")) {
            try openByteStream(path: "/nonexistent/x.gz")
        }
    }
}
