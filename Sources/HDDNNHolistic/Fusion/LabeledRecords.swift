import Foundation
import HDDNNData

/// Records with their true answers, as whoever evaluates a deployment holds them: the ids go
/// into queries, the labels never leave the evaluator.
public struct LabeledRecords: Sendable {
    public var subject: String
    public var answers: String
    /// The partition the ids count in, as the holders know it.
    public var partition: String
    public var ids: [Int64]
    public var labels: [Int]
    /// "validation" or "test", for reports.
    public var split: String

    /// Fashion-MNIST: validation = training images 55,000-59,999 (the models were trained on the
    /// first 55,000), test = the 10,000 test images.
    public static func fashionMNIST(split: String, directory: String = FashionMNIST.defaultDirectory,
                                    limit: Int? = nil) throws(HolisticError) -> LabeledRecords {
        let (partition, range): (DatasetSplit, Range<Int>) = switch split {
        case "validation": (.train, 55_000..<60_000)
        case "test": (.test, 0..<10_000)
        default: throw HolisticError.data("split '\(split)' is not validation or test")
        }
        let reader: IDXReader
        var bytes: [UInt8] = []
        do {
            reader = try IDXReader(path: FashionMNIST.existing(directory, FashionMNIST.files(partition).labels))
            _ = try reader.next(maxItems: reader.count, into: &bytes)
        } catch { throw .data("\(error)") }
        let kept = limit.map { range.prefix($0) } ?? range[...]
        return LabeledRecords(subject: "fashion-mnist-image", answers: "clothing-label", partition: partition.rawValue,
                              ids: kept.map(Int64.init), labels: kept.map { Int(bytes[$0]) }, split: split)
    }

    /// ACTG 175: `outcome.csv` of scripts/actg175_data.py (pidnum, event, split).
    public static func actg175(split: String, file: String) throws(HolisticError) -> LabeledRecords {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw .data("cannot read \(file); `make holistic-data` writes it")
        }
        var ids: [Int64] = [], labels: [Int] = []
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {
            let f = line.split(separator: ",")
            guard f.count == 3, let id = Int64(f[0]), let event = Int(f[1]) else { throw .data("\(file): bad line '\(line)'") }
            if f[2] == split { ids.append(id); labels.append(event) }
        }
        guard !ids.isEmpty else { throw .data("\(file) has no '\(split)' patients") }
        return LabeledRecords(subject: "actg175-patient", answers: "actg175-event", partition: "all", ids: ids, labels: labels, split: split)
    }
}
