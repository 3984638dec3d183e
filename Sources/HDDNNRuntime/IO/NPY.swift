import Foundation

/// Reads and writes NumPy `.npy` files (format versions 1-3), the CLI's tensor exchange format.
///
/// Only little-endian float32 (`<f4`) and int64 (`<i8`) arrays in C order are accepted; anything
/// else gets an error that says how to convert it with NumPy.
public enum NPY {
    public static func read(_ url: URL) throws(NPYError) -> Tensor {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadable(path: url.path, reason: error.localizedDescription) }
        return try decode(data, path: url.path)
    }

    public static func decode(_ data: Data, path: String = "<memory>") throws(NPYError) -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw .malformed(path: path, reason: "not a .npy file (missing the \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1: headerLength = Int(bytes[8]) | Int(bytes[9]) << 8; headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw .malformed(path: path, reason: "truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24; headerStart = 12
        default: throw .malformed(path: path, reason: "unknown format version \(major)")
        }
        guard headerStart + headerLength <= bytes.count,
              let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8) else {
            throw .malformed(path: path, reason: "truncated header")
        }
        guard let descr = field("descr", in: header)?.trimmingCharacters(in: CharacterSet(charactersIn: "'\" ")) else {
            throw .malformed(path: path, reason: "header has no 'descr'")
        }
        if field("fortran_order", in: header)?.trimmingCharacters(in: .whitespaces) == "True" {
            throw .unsupported(path: path, reason: "Fortran-order array; save it with np.ascontiguousarray(a)")
        }
        guard let shapeText = header.range(of: #"'shape':\s*\(([^)]*)\)"#, options: .regularExpression).map({ String(header[$0]) }),
              let open = shapeText.firstIndex(of: "("), let close = shapeText.lastIndex(of: ")") else {
            throw .malformed(path: path, reason: "header has no 'shape'")
        }
        let dims = shapeText[shapeText.index(after: open)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape = [Int]()
        for d in dims {
            guard let v = Int(d), v >= 0 else { throw .malformed(path: path, reason: "bad dimension '\(d)' in shape") }
            shape.append(v)
        }
        let type: DataType
        switch descr {
        case "<f4", "=f4", "f4": type = .float32
        case "<i8", "=i8", "i8": type = .int64
        default:
            throw .unsupported(path: path, reason: "element type '\(descr)'; save float32 with a.astype(np.float32) (or int64)")
        }
        let count: Int
        do { count = try Shape.validatedCount(shape, elementSize: type.byteSize, context: path) } catch { throw .malformed(path: path, reason: error.description) }
        let start = headerStart + headerLength
        guard bytes.count - start == count * type.byteSize else {
            throw .malformed(path: path, reason: "shape \(shape) needs \(count * type.byteSize) bytes of data, file has \(bytes.count - start)")
        }
        return bytes.withUnsafeBytes { raw in
            let payload = UnsafeRawBufferPointer(rebasing: raw[start...])
            switch type {
            case .float32:
                return Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) })
            case .int64:
                return Tensor(shape: shape, int64s: (0..<count).map { Int64(littleEndian: payload.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) })
            }
        }
    }

    /// The value text of `key` in a Python dict literal header.
    private static func field(_ key: String, in header: String) -> String? {
        guard let r = header.range(of: "'\(key)':") else { return nil }
        let rest = header[r.upperBound...]
        let end = rest.firstIndex(of: ",") ?? rest.endIndex
        return String(rest[..<end])
    }

    public static func encode(_ tensor: Tensor) -> Data {
        let descr = tensor.dataType == .float32 ? "<f4" : "<i8"
        let shape = tensor.shape.isEmpty ? "()" : tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        // Pad so the data starts on a 64-byte boundary, header ending in a newline (format 1.0).
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        switch tensor.storage {
        case .float32(let v): v.withUnsafeBytes { data.append(contentsOf: $0) }
        case .int64(let v): v.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    public static func write(_ tensor: Tensor, to url: URL) throws(NPYError) {
        do { try encode(tensor).write(to: url) } catch { throw .unwritable(path: url.path, reason: error.localizedDescription) }
    }
}

/// Why a `.npy` file could not be used.
public enum NPYError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case unsupported(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .unwritable(path, reason): "cannot write \(path): \(reason)"
        case let .malformed(path, reason): "\(path) is not a valid .npy file: \(reason)"
        case let .unsupported(path, reason): "\(path): unsupported \(reason)"
        }
    }
}
