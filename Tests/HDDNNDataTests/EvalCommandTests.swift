import Foundation
import HDDNNData
import HDDNNTestSupport
import Testing

/// `hddnn eval` end to end: the binary on generated data and models, its JSON, its errors, and a
/// short run on the real Fashion-MNIST test split.
@Suite(.serialized) struct EvalCommandTests {
    /// Runs the `hddnn` binary to its end.
    static func hddnn(_ args: [String]) throws -> ProcessRunner.Result { try ProcessRunner().run(args) }

    @Test func evalReportsAccuracyAtBothLevelsAndProgressLines() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestFiles.writeFashionMNIST(labels: EvaluatorTests.labels, lit: EvaluatorTests.lit, to: dir)
        let model = try TestFiles.writeModel(TestFiles.pixelClassifier(classes: 10), card: TestFiles.card(name: "fine", level: .fine), named: "fine", in: dir)

        let json = try Self.hddnn(["eval", "--model", model.path, "--data", dir.path, "--batch", "5", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["samples"] as? Int == 23)
        #expect(object["fine_accuracy"] as? Double == 18.0 / 23)
        #expect(object["coarse_accuracy"] as? Double == 22.0 / 23)
        #expect(object["level"] as? String == "fine")
        #expect((object["confusion"] as? [String: Any])?["labels"] as? [String] == Taxonomy.fashionMNIST.fineLabels)
        // Not a terminal: plain progress lines, ending at 100%.
        #expect(json.stderr.contains("eval fine: 23/23 images (100%)"))
        #expect(!json.stderr.contains("\r"))

        let text = try Self.hddnn(["eval", "--model", model.path, "--data", dir.path, "--limit", "10"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("fine accuracy:         1.0000\n"), "\(text.stdout)")
        #expect(text.stdout.contains("coarse macro accuracy: 1.0000  mean over 5 coarse classes"))
        #expect(!text.stdout.contains("(card:"))  // --limit: the card's full-split figures do not apply
    }

    /// Runtime errors are one line; usage errors (ArgumentParser's `ValidationError`) add the
    /// usage after it.
    @Test func errorsSayWhatToDo() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestFiles.writeFashionMNIST(labels: [1, 2, 3], to: dir)
        let model = try TestFiles.writeModel(TestFiles.pixelClassifier(classes: 10), card: nil, named: "bare", in: dir)
        let carded = try TestFiles.writeModel(TestFiles.pixelClassifier(classes: 10), card: TestFiles.card(name: "m", level: .fine), named: "m", in: dir)
        let cases: [([String], String, Bool)] = [
            (["eval", "--model", model.path, "--data", dir.path], "has no model card: expected \(dir.path)/bare.card.json beside it", true),
            (["eval", "--model", carded.path, "--data", "/nonexistent"], "install the Debian package dataset-fashion-mnist", true),
            (["eval", "--model", carded.path, "--dataset", "cifar100"], "--dataset cifar100 needs --data DIR", false),
            (["eval", "--model", carded.path, "--batch", "0"], "--batch must be between 1 and 100000", false),
        ]
        for (args, message, oneLine) in cases {
            let r = try Self.hddnn(args)
            #expect(r.status != 0, "\(args): exit 0")
            let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.contains(message), "\(args): stderr was \(r.stderr)")
            if oneLine { #expect(r.stderr.split(separator: "\n").count == 1, "\(args): not one line: \(r.stderr)") }
        }
    }

    @Test func helpReadsLikeTheCommand() throws {
        let r = try Self.hddnn(["eval", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("OVERVIEW: Measure a model's accuracy and speed on a data set's test split."))
        #expect(r.stdout.contains("--dataset <dataset>"))
        #expect(r.stdout.contains("(values: fashion-mnist, cifar100)"))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-images-idx3-ubyte.gz")))
    func shortRunOnTheRealTestSplit() throws {
        let dir = try TestFiles.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try TestFiles.writeModel(TestFiles.pixelClassifier(classes: 10), card: TestFiles.card(name: "m", level: .fine), named: "m", in: dir)
        let r = try Self.hddnn(["eval", "--model", model.path, "--limit", "300", "--batch", "64", "--json", "--threads", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["samples"] as? Int == 300)
        #expect(object["dataset"] as? String == "fashion-mnist test")
        let counts = try #require((object["confusion"] as? [String: Any])?["counts"] as? [[Int]])
        #expect(counts.flatMap { $0 }.reduce(0, +) == 300)
    }
}
