import ArgumentParser
import Foundation
import HDDNNData
import HDDNNONNX
import HDDNNRuntime

struct Card: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Model cards: what a model takes and gives, in terms HDDNN can check.",
        subcommands: [CardInit.self])
}

struct CardInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a starting card for an ONNX model that has none.",
        discussion: """
            A node serves a model without a card as a plain OIP model, which any client may call \
            but HDDNN cannot schedule: the scheduler needs the model's label level, its class \
            names and the taxonomy that ties them to the end devices' coarse labels. This reads \
            what the ONNX file says (input and output names and shapes, output width, parameters) \
            and writes NAME.card.json beside NAME.onnx (model.card.json beside a repository's \
            NAME/<v>/model.onnx), checked against the file. Then fill in what the file cannot say: \
            input.value_range and normalization, the labels, metrics.

              hddnn card init my-cloud.onnx --taxonomy-from models/cloud-wrn.card.json
              hddnn card init cats-dogs.onnx --labels cat,dog
            """)

    @Argument(help: "The ONNX model.")
    var model: String

    @Option(help: "The level the model answers at: fine (edge and cloud models) or coarse (end devices).")
    var level: String = "fine"

    @Option(help: "Class names in output order, comma-separated (default: the taxonomy's at --level, else class-0...).")
    var labels: String?

    @Option(help: "Copy the taxonomy from this card (the tier models' cards carry Fashion-MNIST's).")
    var taxonomyFrom: String?

    @Option(help: "Where to write the card (default: beside the model).")
    var output: String?

    @Flag(help: "Replace a card that is already there.")
    var force = false

    func run() throws {
        guard let level = LabelLevel(rawValue: level) else { throw ValidationError("--level must be fine or coarse") }
        let url = URL(fileURLWithPath: model)
        let session: InferenceSession
        do { session = try ONNXModel.session(contentsOf: url) } catch { throw ValidationError("cannot load \(model): \(error)") }
        let taxonomy = try taxonomyFrom.map { path throws -> Taxonomy in
            guard let t = try ModelCard.read(from: URL(fileURLWithPath: path)).taxonomy else {
                throw ValidationError("\(path) has no taxonomy to copy")
            }
            return t
        }
        // The repository's name for it: NAME of NAME.onnx or of NAME/<v>/model.onnx.
        let folder = url.deletingLastPathComponent()
        let inRepository = url.lastPathComponent == "model.onnx" && Int(folder.lastPathComponent) != nil
        let name = inRepository ? folder.deletingLastPathComponent().lastPathComponent : url.deletingPathExtension().lastPathComponent
        let card = try ModelCard.starting(name: name, file: url.lastPathComponent, session: session, level: level,
                                          labels: labels.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
                                          taxonomy: taxonomy)
        let destination = output.map { URL(fileURLWithPath: $0) } ?? ModelCard.url(forModel: url)
        if FileManager.default.fileExists(atPath: destination.path), !force {
            throw ValidationError("\(destination.path) exists; pass --force to replace it")
        }
        try card.write(to: destination)
        print("""
            wrote \(destination.path): \(card.name), input \(card.input.name) \(card.input.shape), \
            output \(card.output.name) with \(card.output.labels.count) \(level.rawValue) labels
            still to fill in by hand:
              input.value_range, input.normalization  what the caller feeds (now [0, 1], no normalisation)
            """)
        if labels == nil && taxonomy == nil { print("  output.labels                          the class names (now class-0...)") }
        if taxonomy == nil { print("  taxonomy                               coarse and fine labels (--taxonomy-from a tier model's card)") }
        print("  metrics, training                      what the model measured and how it was made")
    }
}
