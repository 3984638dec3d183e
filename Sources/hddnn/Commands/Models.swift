import ArgumentParser
import Foundation
import HDDNNData
import HDDNNRuntime

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the models in a folder with their cards' key facts.",
        discussion: """
            Reads every NAME.card.json next to a NAME.onnx (default folder: models/) and prints what \
            each model takes and gives: label level and count, accuracy on its test split, parameters \
            and MACs per image. With --check, each card is also validated against its ONNX file \
            (input and output names, shapes, label count), as loading a model for serving does.
            """)

    @Option(help: "Folder holding NAME.onnx and NAME.card.json files.")
    var folder: String = "models"

    @Flag(help: "Validate each card against its ONNX file (loads every model).")
    var check = false

    @Flag(help: "Print JSON.")
    var json = false

    struct Row: Encodable {
        let name: String
        let file: String
        let architecture: String
        let level: String
        let labels: Int
        let input: [Int]
        let fineAccuracy: Double?
        let coarseAccuracy: Double?
        let coarseMacroAccuracy: Double?
        let params: Int?
        let macsPerSample: Int?
        let checked: Bool
    }

    func run() throws {
        let dir = URL(fileURLWithPath: folder)
        let files: [String]
        do { files = try FileManager.default.contentsOfDirectory(atPath: dir.path) } catch {
            throw ValidationError("cannot list \(folder): \(error.localizedDescription)")
        }
        let onnx = files.filter { $0.hasSuffix(".onnx") }.sorted()
        guard !onnx.isEmpty else { throw ValidationError("no .onnx files in \(folder)") }
        var rows = [Row]()
        for file in onnx {
            let url = dir.appendingPathComponent(file)
            let card: ModelCard
            if check {
                card = try CardedModel.load(onnx: url).card
            } else {
                card = try ModelCard.read(from: ModelCard.url(forModel: url))
            }
            let m = card.metrics
            rows.append(Row(name: card.name, file: url.path, architecture: card.architecture ?? "",
                            level: "\(card.output.level)", labels: card.output.labels.count, input: card.input.shape,
                            fineAccuracy: m?.fineAccuracy, coarseAccuracy: m?.coarseAccuracy,
                            coarseMacroAccuracy: m?.coarseMacroAccuracy, params: card.params,
                            macsPerSample: card.macsPerSample, checked: check))
        }
        if json {
            print(try jsonString(rows))
            return
        }
        func pct(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "-" }
        print("name            level   labels  input            fine    coarse  macro   params     MACs/image")
        for r in rows {
            let input = "[" + r.input.map { $0 < 0 ? "N" : String($0) }.joined(separator: ",") + "]"
            print(String(format: "%-15@ %-7@ %6d  %-16@ %-7@ %-7@ %-7@ %-10@ %@",
                         r.name, r.level, r.labels, input, pct(r.fineAccuracy), pct(r.coarseAccuracy),
                         pct(r.coarseMacroAccuracy), r.params.map(humanCount) ?? "-", r.macsPerSample.map(humanCount) ?? "-"))
        }
        if check { print("all \(rows.count) cards agree with their ONNX files") }
    }
}
