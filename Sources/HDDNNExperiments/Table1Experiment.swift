import Foundation
import HDDNNData

/// Table 1: inference time per image of each tier's model on each class of node, accuracy and
/// parameters; for the shipped (trained) models and for the paper's own architectures.
///
/// Node classes here: end = 1 engine thread, edge = 2 threads (all of this machine's cores).
/// The paper's cloud was a GPU host; no GPU is part of these runs, which the report says.
/// Times come from `hddnn bench --batch 50 --json` (median of runs after a warm-up), one process
/// per measurement.
struct Table1Experiment {
    struct Row: Codable {
        var model: String
        var tier: String
        var architecture: String
        var parameters: Int
        var weightBytes: Int
        var coarseAccuracy: Double?
        var fineAccuracy: Double?
        var accuracySource: String
        /// ms per image by node class ("end (1 thread)", "edge (2 threads)").
        var msPerImage: [String: Double]
    }

    struct Result: Codable {
        var rows: [Row]
        var batch: Int
        var runs: Int
        var classes: [String: Int]
        var cpu: String
        var gpu: String
    }

    struct BenchJSON: Decodable {
        struct Stats: Decodable { var median: Double }
        var msPerImage: Stats
    }

    func run(_ ctx: ExperimentContext) async throws -> Result {
        let classes = ["end (1 thread)": 1, "edge (2 threads)": 2]
        let runs = ctx.full ? 20 : 5
        var entries: [(URL, String, String, ModelCard?)] = []
        for (name, tier) in [("end-mobilenet", "end"), ("edge-resnet", "edge"), ("cloud-wrn", "cloud")] {
            let url = ctx.models.appendingPathComponent("\(name).onnx")
            entries.append((url, name, tier, try? ModelCard.read(from: ModelCard.url(forModel: url))))
        }
        let paper = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/hddnn/paper-models")
        let paperCards = ctx.models.deletingLastPathComponent().appendingPathComponent("training/runs/2026-11-26-h200")
        for (name, tier) in [("paper-mobilenet", "end"), ("paper-resnet34", "edge"), ("paper-wrn28-10", "cloud")] {
            let url = paper.appendingPathComponent("\(name).onnx")
            guard FileManager.default.fileExists(atPath: url.path) else {
                ctx.log("  \(name): not in \(paper.path); run bench/compare-ort --quick once to export the paper's networks")
                continue
            }
            entries.append((url, name, tier, try? ModelCard.read(from: paperCards.appendingPathComponent("\(name).card.json"))))
        }
        var rows: [Row] = []
        for (url, name, tier, card) in entries {
            var times: [String: Double] = [:]
            for (label, threads) in classes.sorted(by: { $0.value < $1.value }) {
                ctx.log("  table1: \(name), \(label)")
                let data = try ctx.hddnn(["bench", url.path, "--batch", "50", "--threads", "\(threads)", "--runs", "\(runs)", "--json"])
                times[label] = try JSONDecoder().decode(BenchJSON.self, from: data).msPerImage.median
            }
            let params = card?.params ?? 0
            rows.append(Row(
                model: name, tier: tier, architecture: card?.architecture ?? name, parameters: params, weightBytes: params * 4,
                coarseAccuracy: card?.metrics?.coarseAccuracy, fineAccuracy: card?.metrics?.fineAccuracy,
                accuracySource: name.hasPrefix("paper-")
                    ? "trained on Fashion-MNIST at 3x32x32 (training/runs/2026-11-26-h200); timed with the same architecture"
                    : "model card, reproduced by hddnn eval on the 10,000 test images",
                msPerImage: times))
        }
        return Result(rows: rows, batch: 50, runs: runs, classes: classes, cpu: cpuName(), gpu: "none lent to this run")
    }
}

/// The CPU's model name from /proc/cpuinfo.
func cpuName() -> String {
    let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let line = text.split(separator: "\n").first { $0.hasPrefix("model name") }
    let cores = text.split(separator: "\n").filter { $0.hasPrefix("processor") }.count
    let name = line?.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    return "\(name), \(cores) cores"
}
