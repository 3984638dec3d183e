import Foundation
import HDDNNCluster
import HDDNNData

/// One party's table: a CSV whose first column is the record key and whose other columns are
/// numbers (`scripts/actg175_data.py` writes the lab's and the clinic's). A model reads the columns
/// its card lists, in its order; the rest stay unread.
public final class TableHolding: DataHolding {
    public let source: String
    public let columns: [String]
    private let rows: [Int64: [Float]]

    public init(source: String, file: String) throws(HolisticError) {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw .data("cannot read \(file): \((error as NSError).localizedDescription); `make holistic-data` writes the ACTG 175 party files")
        }
        var lines = text.split(whereSeparator: \.isNewline).makeIterator()
        guard let header = lines.next()?.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }),
              header.count >= 2 else {
            throw .data("\(file): the first line must name the key column and at least one value column")
        }
        var rows: [Int64: [Float]] = [:]
        var number = 1
        while let line = lines.next() {
            number += 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == header.count, let key = Int64(fields[0]) else {
                throw .data("\(file):\(number): expected \(header.count) fields, a whole-number key first")
            }
            var values = [Float]()
            for (i, f) in fields.dropFirst().enumerated() {
                guard let v = Float(f) else { throw .data("\(file):\(number): \(header[i + 1]) '\(f)' is not a number") }
                values.append(v)
            }
            rows[key] = values
        }
        self.source = source
        self.columns = Array(header.dropFirst())
        self.rows = rows
    }

    public var description: HoldingDescription {
        HoldingDescription(source: source, part: "columns \(columns.joined(separator: ", "))", columns: columns,
                           records: ["all": rows.count])
    }

    public func records(_ ids: [Int64], partition: String, for semantics: ModelCard.Semantics) throws(HolisticError) -> WireTensor {
        guard let wanted = semantics.columns else { throw .data("the model reads \(semantics.inputDescription), not table columns") }
        return WireTensor(name: "records", shape: [ids.count, wanted.count], payload: .fp32(try values(ids, columns: wanted)))
    }

    /// The `columns` of records `ids`, row-major (`ids.count x columns.count`).
    public func values(_ ids: [Int64], columns wanted: [String]) throws(HolisticError) -> [Float] {
        let index = try wanted.map { c throws(HolisticError) in
            guard let i = columns.firstIndex(of: c) else {
                throw .data("this node's \(source) table has no column '\(c)' (it has \(columns.joined(separator: ", ")))")
            }
            return i
        }
        var out = [Float]()
        out.reserveCapacity(ids.count * index.count)
        for id in ids {
            guard let row = rows[id] else { throw .data("\(source) has no record \(id) on this node") }
            for i in index { out.append(row[i]) }
        }
        return out
    }
}
