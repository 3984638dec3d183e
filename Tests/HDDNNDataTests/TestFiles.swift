import CZlib
import Foundation
import HDDNNData
import HDDNNONNX
import HDDNNRuntime
import HDDNNTestSupport

/// Files the tests write: gzip streams, IDX and CIFAR files, small models with cards.
enum TestFiles {
    /// A fresh scratch folder; the caller removes it.
    static func folder() throws -> URL { try Repository.workspace("data") }

    /// `data` as one gzip member (zlib's deflate with window bits 15 + 16).
    static func gzip(_ data: [UInt8]) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { deflateEnd(stream); stream.deallocate() }
        precondition(deflateInit2_(stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        var out = [UInt8](repeating: 0, count: Int(deflateBound(stream, UInt(data.count))) + 64)
        var input = data
        let written = input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                stream.pointee.next_in = i.baseAddress
                stream.pointee.avail_in = UInt32(i.count)
                stream.pointee.next_out = o.baseAddress
                stream.pointee.avail_out = UInt32(o.count)
                precondition(deflate(stream, Z_FINISH) == Z_STREAM_END)
                return o.count - Int(stream.pointee.avail_out)
            }
        }
        return Array(out.prefix(written))
    }

    /// An IDX file of unsigned bytes: header (00 00 08 rank, big-endian dims), then `body`.
    static func idx(dimensions: [Int], body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions { bytes += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        return bytes + body
    }

    /// Images with pixel `lit[i]` (row 0) at 255 over a faint background, so `pixelClassifier`
    /// answers `lit[i]` for image `i`.
    static func images(lit: [Int], size: Int = 28) -> [UInt8] {
        var body = [UInt8]()
        for (i, l) in lit.enumerated() {
            var image = [UInt8](repeating: UInt8(i % 7), count: size * size)
            image[l] = 255
            body += image
        }
        return body
    }

    /// Writes a Fashion-MNIST-named test split (gzip IDX) with the given fine labels, image `i`
    /// showing pixel `lit[i]` (default: its label).
    static func writeFashionMNIST(labels: [Int], lit: [Int]? = nil, to dir: URL, size: Int = 28) throws {
        let (images, labelFile) = FashionMNIST.files(.test)
        try Data(gzip(idx(dimensions: [labels.count, size, size], body: self.images(lit: lit ?? labels, size: size))))
            .write(to: dir.appendingPathComponent(images))
        try Data(gzip(idx(dimensions: [labels.count], body: labels.map(UInt8.init)))).write(to: dir.appendingPathComponent(labelFile))
    }

    /// A model `[batch, 1, side, side] -> [batch, classes]` whose logit k is pixel k of row 0,
    /// so its answer is the lit pixel of `images(labels:)`.
    static func pixelClassifier(classes: Int, side: Int = 28, outputWidthKnown: Bool = true) -> Graph {
        var w = [Float](repeating: 0, count: classes * side * side)
        for k in 0..<classes { w[k * side * side + k] = 1 }
        return Graph(
            name: "pixel",
            inputs: [ValueInfo(name: "input", dataType: .float32, shape: [nil, 1, side, side], dimensionNames: ["batch", nil, nil, nil])],
            outputs: [ValueInfo(name: "logits", dataType: .float32, shape: [nil, outputWidthKnown ? classes : nil], dimensionNames: ["batch", outputWidthKnown ? nil : "classes"])],
            nodes: [
                Node(name: "flatten", opType: "Flatten", inputs: ["input"], outputs: ["flat"]),
                Node(name: "fc", opType: "Gemm", inputs: ["flat", "w", "b"], outputs: ["logits"], attributes: ["transB": .int(1)]),
            ],
            initializers: ["w": Tensor(shape: [classes, side * side], floats: w), "b": Tensor(zeros: [classes])],
            opsetVersion: 17, metadata: ModelMetadata(irVersion: 8, producerName: "hddnn-data-tests"))
    }

    /// The card training/train.py would write for a 1x28x28 Fashion-MNIST model at `level`.
    static func card(name: String, level: LabelLevel, side: Int = 28) -> ModelCard {
        let t = Taxonomy.fashionMNIST
        return ModelCard(
            name: name, architecture: "test model", file: name + ".onnx",
            input: .init(name: "input", shape: [-1, 1, side, side], normalization: .init(mean: [0], std: [1], inModel: .init(mean: [0.286], std: [0.353])),
                         preprocessing: "grayscale pixel bytes / 255"),
            output: .init(name: "logits", level: level, labels: level == .fine ? t.fineLabels : t.coarseLabels),
            taxonomy: t,
            training: .init(dataset: "fashion-mnist", command: "test", seconds: 0, device: "cpu", seed: 0, epochs: 1, batchSize: 256,
                            optimizer: "none", augmentation: "none", timeBudgetSeconds: nil, limit: nil, note: nil),
            metrics: .init(split: "fashion-mnist test (10,000 images)", fineAccuracy: level == .fine ? 0.5 : nil, coarseAccuracy: 0.5,
                           coarseMacroAccuracy: 0.5, coarsePerClassAccuracy: ["tops": 0.5]),
            params: 0, macsPerSample: 0)
    }

    /// Writes `graph` as NAME.onnx and `card` as NAME.card.json in `dir`; returns the model's URL.
    @discardableResult
    static func writeModel(_ graph: Graph, card: ModelCard?, named name: String, in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent(name + ".onnx")
        try ONNXModel.write(graph, to: url)
        if let card { try card.write(to: ModelCard.url(forModel: url)) }
        return url
    }
}
