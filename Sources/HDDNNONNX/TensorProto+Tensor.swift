import Foundation
import HDDNNRuntime

extension Onnx_TensorProto {
    /// Decodes to an engine tensor, checking that the stored data fits the shape.
    ///
    /// Data may be in `raw_data` (little-endian), in the typed fields (`float_data`,
    /// `int64_data`), or in an external file next to the model (`data_location = EXTERNAL`), whose
    /// path must stay inside `baseDirectory`.
    func engineTensor(baseDirectory: URL?) throws(ONNXError) -> Tensor {
        let label = name.isEmpty ? "<unnamed>" : name
        guard let type = ONNXElementType.dataType(Int(dataType)) else {
            throw .unsupportedDataType(name: label, onnxType: Int(dataType))
        }
        if hasSegment { throw .unsupportedTensorFeature(tensor: label, feature: "segmented storage") }
        let shape = dims.map { Int($0) }
        let count: Int
        do { count = try Shape.validatedCount(shape, elementSize: type.byteSize, context: "tensor '\(label)'") } catch { throw .shape(error) }

        var raw: Data? = nil
        if dataLocation == .external {
            raw = try readExternal(label: label, baseDirectory: baseDirectory)
        } else if hasRawData {
            raw = rawData
        }
        if let raw {
            guard raw.count == count * type.byteSize else {
                throw .sizeMismatch(tensor: label, shape: shape, expected: count * type.byteSize, got: raw.count, field: "raw_data")
            }
            return raw.withUnsafeBytes { p in
                switch type {
                case .float32:
                    Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) })
                case .int64:
                    Tensor(shape: shape, int64s: (0..<count).map { Int64(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) })
                }
            }
        }
        switch type {
        case .float32:
            guard floatData.count == count else { throw .sizeMismatch(tensor: label, shape: shape, expected: count, got: floatData.count, field: "float_data") }
            return Tensor(shape: shape, floats: floatData)
        case .int64:
            guard int64Data.count == count else { throw .sizeMismatch(tensor: label, shape: shape, expected: count, got: int64Data.count, field: "int64_data") }
            return Tensor(shape: shape, int64s: int64Data)
        }
    }

    private func readExternal(label: String, baseDirectory: URL?) throws(ONNXError) -> Data {
        var info = [String: String]()
        for entry in externalData { info[entry.key] = entry.value }
        let location = info["location"] ?? ""
        let parts = location.split(separator: "/", omittingEmptySubsequences: true)
        guard !location.isEmpty, !location.hasPrefix("/"), !location.contains("\\"), !parts.contains(".."),
              let base = baseDirectory else {
            throw .externalDataEscapes(tensor: label, location: location)
        }
        let file = base.appendingPathComponent(location)
        // Refuse symbolic links that point outside the folder, too.
        let resolvedBase = base.resolvingSymlinksInPath().standardizedFileURL.path
        let resolved = file.resolvingSymlinksInPath().standardizedFileURL.path
        guard resolved.hasPrefix(resolvedBase + "/") else { throw .externalDataEscapes(tensor: label, location: location) }
        let data: Data
        do { data = try Data(contentsOf: file, options: .mappedIfSafe) } catch {
            throw .externalDataUnreadable(tensor: label, path: file.path, reason: error.localizedDescription)
        }
        let offset = Int(info["offset"] ?? "0") ?? -1
        let length = info["length"].flatMap { Int($0) } ?? (data.count - max(offset, 0))
        guard offset >= 0, length >= 0, offset <= data.count, length <= data.count - offset else {
            throw .externalDataOutOfRange(tensor: label, path: file.path, offset: offset, length: length, fileSize: data.count)
        }
        return data.subdata(in: offset..<(offset + length))
    }

    /// Encodes an engine tensor with its data in `raw_data`.
    init(_ tensor: Tensor, name: String) {
        self.init()
        self.name = name
        dims = tensor.shape.map { Int64($0) }
        dataType = Int32(ONNXElementType.code(tensor.dataType))
        switch tensor.storage {
        case .float32(let v): rawData = v.withUnsafeBytes { Data($0) }
        case .int64(let v): rawData = v.withUnsafeBytes { Data($0) }
        }
    }
}
