import Foundation
import HDDNNData
import Testing

/// CIFAR-100's binary format on generated files: records split into CHW pixels and both labels,
/// streamed in batches; partial records and inconsistent labels refused.
struct CIFAR100Tests {
    /// A record: coarse byte, fine byte, 3072 pixel bytes in which pixel i is (i + seed) % 256.
    static func record(fine: Int, coarse: Int? = nil, seed: Int) -> [UInt8] {
        [UInt8(coarse ?? Taxonomy.cifar100.fineToCoarse[fine]), UInt8(fine)] + (0..<3072).map { UInt8(($0 + seed) % 256) }
    }

    static func write(_ records: [[UInt8]], split: DatasetSplit = .test) throws -> URL {
        let dir = try TestFiles.folder()
        try Data(records.flatMap { $0 }).write(to: dir.appendingPathComponent(CIFAR100.file(split)))
        return dir
    }

    @Test func streamsRecordsAsCHWBatches() throws {
        let fines = [0, 99, 42, 17, 58, 3, 71]
        let dir = try Self.write(fines.enumerated().map { Self.record(fine: $1, seed: $0) }, split: .train)
        defer { try? FileManager.default.removeItem(at: dir) }
        let reader = try CIFAR100.open(directory: dir.path, split: .train)
        #expect(reader.count == 7)
        #expect(reader.sampleShape == [3, 32, 32])
        #expect(reader.taxonomy.coarseLabels.count == 20)
        var seen = [Int](), coarse = [Int]()
        while let batch = try reader.next(maxCount: 3) {
            #expect(batch.images.shape == [batch.count, 3, 32, 32])
            let x = batch.images.floats
            for i in 0..<batch.count {
                let sample = seen.count + i
                // Channel 1 (green), row 2, column 5 is byte 1024 + 2 * 32 + 5 of the pixels.
                let p = 1024 + 2 * 32 + 5
                #expect(x[i * 3072 + p] == Float((p + sample) % 256) / 255)
            }
            seen += batch.fine
            coarse += batch.coarse
        }
        #expect(seen == fines)
        #expect(coarse == fines.map { Taxonomy.cifar100.fineToCoarse[$0] })
        #expect(coarse.prefix(3) == [4, 13, 8])  // apple, worm, leopard: fruit and vegetables, non-insect invertebrates, large carnivores
    }

    @Test func partialRecordIsRefusedAtOpen() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(Self.record(fine: 1, seed: 0) + [1, 2, 3]).write(to: dir.appendingPathComponent("test.bin"))
        #expect(throws: DatasetError.partialRecord(path: dir.appendingPathComponent("test.bin").path, fileSize: 3077, recordSize: 3074)) {
            try CIFAR100.open(directory: dir.path)
        }
    }

    @Test func inconsistentLabelsAreRefused() throws {
        let dir = try Self.write([Self.record(fine: 0, seed: 0), Self.record(fine: 1, coarse: 2, seed: 1)])
        defer { try? FileManager.default.removeItem(at: dir) }
        let reader = try CIFAR100.open(directory: dir.path)
        #expect(throws: DatasetError.coarseLabelMismatch(path: dir.appendingPathComponent("test.bin").path, sample: 1, fine: 1, coarse: 2, expected: 1)) {
            while try reader.next(maxCount: 1) != nil {}
        }

        let dir2 = try Self.write([[0, 100] + [UInt8](repeating: 0, count: 3072)])
        defer { try? FileManager.default.removeItem(at: dir2) }
        #expect(throws: DatasetError.labelOutOfRange(path: dir2.appendingPathComponent("test.bin").path, sample: 0, label: 100, classes: 100)) {
            _ = try CIFAR100.open(directory: dir2.path).next(maxCount: 8)
        }
    }

    @Test func missingFileSaysWhereToGetIt() {
        #expect(throws: DatasetError.self) { try CIFAR100.open(directory: "/nonexistent") }
        do { _ = try CIFAR100.open(directory: "/nonexistent") } catch {
            #expect(error.description.contains("cifar-100-binary.tar.gz"))
        }
    }
}
