import Foundation
import HDDNNData
import HDDNNRuntime
import Testing

/// Fashion-MNIST's IDX files, generated: batches carry the right pixels and labels, and every
/// kind of damage gets its own error.
struct IDXTests {
    static let labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7]

    @Test func streamsBatchesWithPixelsInUnitRangeAndCoarseLabels() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestFiles.writeFashionMNIST(labels: Self.labels, to: dir)
        let reader = try FashionMNIST.open(directory: dir.path, split: .test)
        #expect(reader.count == 13)
        #expect(reader.sampleShape == [1, 28, 28])
        #expect(reader.name == "fashion-mnist test")
        var fine = [Int](), coarse = [Int](), sizes = [Int]()
        while let batch = try reader.next(maxCount: 5) {
            #expect(batch.images.shape == [batch.count, 1, 28, 28])
            let x = batch.images.floats
            for i in 0..<batch.count {
                let image = Array(x[(i * 784)..<((i + 1) * 784)])
                #expect(image[batch.fine[i]] == 1)
                #expect(image.allSatisfy { $0 >= 0 && $0 <= 1 })
            }
            fine += batch.fine
            coarse += batch.coarse
            sizes.append(batch.count)
        }
        #expect(sizes == [5, 5, 3])
        #expect(fine == Self.labels)
        #expect(coarse == Self.labels.map { [0, 1, 0, 2, 0, 3, 0, 3, 4, 3][$0] })
        #expect(try reader.next(maxCount: 5) == nil)
    }

    @Test func pixelBytesScaleBy255() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let body = (0..<(2 * 4)).map { UInt8($0 * 36) }
        try Data(TestFiles.idx(dimensions: [2, 2, 2], body: body)).write(to: dir.appendingPathComponent("i"))
        try Data(TestFiles.idx(dimensions: [2], body: [3, 4])).write(to: dir.appendingPathComponent("l"))
        let reader = try IDXImageReader(name: "t", images: dir.appendingPathComponent("i").path,
                                        labels: dir.appendingPathComponent("l").path, taxonomy: .fashionMNIST)
        let batch = try #require(try reader.next(maxCount: 10))
        #expect(batch.images.shape == [2, 1, 2, 2])
        #expect(batch.images.floats == body.map { Float($0) / 255 })
        #expect(batch.fine == [3, 4] && batch.coarse == [2, 0])
    }

    /// Writes an image and a label file (plain IDX unless `gzip`), opens them as Fashion-MNIST
    /// and reads to the end.
    static func readAll(images: [UInt8], labels: [UInt8], gzip: Bool = true) throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (i, l) = FashionMNIST.files(.test)
        try Data(gzip ? TestFiles.gzip(images) : images).write(to: dir.appendingPathComponent(i))
        try Data(gzip ? TestFiles.gzip(labels) : labels).write(to: dir.appendingPathComponent(l))
        let reader = try FashionMNIST.open(directory: dir.path, split: .test)
        while try reader.next(maxCount: 2) != nil {}
    }

    static let goodImages = TestFiles.idx(dimensions: [3, 28, 28], body: TestFiles.images(lit: [1, 2, 3]))
    static let goodLabels = TestFiles.idx(dimensions: [3], body: [1, 2, 3])

    /// The error a damaged pair gives, with the scratch folder's path cut out.
    static func error(images: [UInt8] = goodImages, labels: [UInt8] = goodLabels, gzip: Bool = true) -> DatasetError? {
        do { try readAll(images: images, labels: labels, gzip: gzip) } catch let e as DatasetError { return e } catch { return nil }
        return nil
    }

    @Test func goodFilesRead() throws {
        try Self.readAll(images: Self.goodImages, labels: Self.goodLabels)
        try Self.readAll(images: Self.goodImages, labels: Self.goodLabels, gzip: false)
    }

    @Test func badMagic() {
        var images = Self.goodImages
        images[0] = 0x50
        guard case .badMagic(_, let found)? = Self.error(images: images) else { Issue.record("no badMagic"); return }
        #expect(found == [0x50, 0, 8, 3])
        guard case .badMagic? = Self.error(images: Array("PK\u{3}\u{4} not idx".utf8)) else { Issue.record("no badMagic"); return }
        guard case .badMagic? = Self.error(images: []) else { Issue.record("empty file accepted"); return }
    }

    @Test func otherElementTypesAreRefused() {
        var images = Self.goodImages
        images[2] = 0x0d  // float
        guard case .unsupportedElementType(_, 0x0d)? = Self.error(images: images) else { Issue.record("float IDX accepted"); return }
    }

    @Test func wrongImageSizeOrRankIsRefused() {
        let small = TestFiles.idx(dimensions: [3, 32, 32], body: [UInt8](repeating: 0, count: 3 * 1024))
        guard case .unexpectedShape(_, "[N, 28, 28]", [3, 32, 32])? = Self.error(images: small) else { Issue.record("32x32 accepted"); return }
        let labels2D = TestFiles.idx(dimensions: [3, 1], body: [1, 2, 3])
        guard case .unexpectedShape(_, "[N]", [3, 1])? = Self.error(labels: labels2D) else { Issue.record("2-D labels accepted"); return }
    }

    @Test func countMismatchBetweenImagesAndLabels() {
        let labels = TestFiles.idx(dimensions: [4], body: [1, 2, 3, 4])
        guard case .countMismatch(_, 3, _, 4)? = Self.error(labels: labels) else { Issue.record("4 labels for 3 images accepted"); return }
        #expect(Self.error(labels: labels)!.description.contains("holds 3 images but"))
    }

    @Test func truncatedAndTrailingDataAreRefused() {
        guard case .truncated(_, 3, 2)? = Self.error(images: Array(Self.goodImages.dropLast(100))) else { Issue.record("short data accepted"); return }
        guard case .truncated(_, 3, 2)? = Self.error(images: Array(Self.goodImages.dropLast(100)), gzip: false) else { Issue.record("short data accepted"); return }
        guard case .trailingData(_, 3)? = Self.error(labels: Self.goodLabels + [7]) else { Issue.record("extra label accepted"); return }
        guard case .truncatedHeader? = Self.error(images: Array(Self.goodImages.prefix(9))) else { Issue.record("cut header accepted"); return }
    }

    @Test func truncatedGzipOfAnIDXFile() {
        let cut = Array(TestFiles.gzip(Self.goodImages).dropLast(4))
        let dir = try! TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (i, l) = FashionMNIST.files(.test)
        try! Data(cut).write(to: dir.appendingPathComponent(i))
        try! Data(TestFiles.gzip(Self.goodLabels)).write(to: dir.appendingPathComponent(l))
        #expect(throws: DatasetError.truncatedGzip(path: dir.appendingPathComponent(i).path, compressedBytes: cut.count)) {
            let reader = try FashionMNIST.open(directory: dir.path)
            while try reader.next(maxCount: 100) != nil {}
        }
    }

    @Test func labelsOutOfRange() {
        let labels = TestFiles.idx(dimensions: [3], body: [1, 10, 3])
        guard case .labelOutOfRange(_, 1, 10, 10)? = Self.error(labels: labels) else { Issue.record("label 10 accepted"); return }
    }

    @Test func missingFilesSayHowToGetThem() {
        do {
            _ = try FashionMNIST.open(directory: "/nonexistent")
            Issue.record("opened a missing data set")
        } catch {
            #expect(error.description.contains("dataset-fashion-mnist"))
            #expect(error.description.contains("--data DIR"))
        }
    }
}

/// The real Fashion-MNIST test split, when the Debian package is installed.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-labels-idx1-ubyte.gz")))
struct FashionMNISTFilesTests {
    @Test func testSplitHas1000ImagesPerClass() throws {
        let reader = try FashionMNIST.open(split: .test)
        #expect(reader.count == 10_000)
        var perClass = [Int](repeating: 0, count: 10)
        var sum: Double = 0
        var samples = 0
        while let batch = try reader.next(maxCount: 1000) {
            for l in batch.fine { perClass[l] += 1 }
            sum += batch.images.floats.reduce(0) { $0 + Double($1) }
            samples += batch.count
        }
        #expect(samples == 10_000)
        #expect(perClass == [Int](repeating: 1000, count: 10))
        // training/fashion_mnist.py measured the training mean as 0.2860; the test split is close.
        let mean = sum / Double(samples * 784)
        #expect(abs(mean - 0.286) < 0.01, "mean pixel \(mean)")
    }
}
