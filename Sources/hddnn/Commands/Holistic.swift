import ArgumentParser
import Foundation
import HDDNNCluster
import HDDNNData
import HDDNNHolistic
import HDDNNRuntime
import Hummingbird

/// `hddnn holistic ...`: the vision paper's layer on our nodes (docs/holistic.md).
struct Holistic: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Models as services: a catalogue, placement, and fusion of independently trained models.",
        discussion: """
            Service nodes hold data (a sensor's view of Fashion-MNIST, one party's ACTG 175 columns) and \
            serve the models that read it; they register with a catalogue, which plans each query \
            (which models, on which nodes, fused how) and answers it with provenance. Raw records \
            never leave their domain; other parties get outcomes only.

              make holistic-data           # ACTG 175 party files
              hddnn holistic fit           # fusions fitted, models scored
              hddnn holistic experiment    # placement and deadline runs
              hddnn holistic catalog --start
              hddnn query --records 0-9    # see hddnn query --help
            """,
        subcommands: [HolisticNode.self, HolisticCatalog.self, HolisticFit.self, HolisticExperiment.self])
}

struct DeploymentOptions: ParsableArguments {
    @Option(help: "Holistic deployment file.")
    var config = "configs/holistic.yaml"

    @Option(help: "Where node logs go.")
    var logs = ".hddnn/logs/holistic"

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "warning"

    func start() async throws -> LocalDeployment {
        FileHandle.standardError.write(Data("starting the catalogue and the nodes of \(config) (logs in \(logs))...\n".utf8))
        let deployment = try await LocalDeployment.start(
            configPath: config, executable: LocalCluster.currentExecutable,
            logDirectory: URL(fileURLWithPath: logs).standardizedFileURL) { message in
            if ProcessInfo.processInfo.environment["HDDNN_VERBOSE"] != nil { FileHandle.standardError.write(Data((message + "\n").utf8)) }
        }
        SignalGuard.shared.protect(deployment.cluster)
        for (node, missing) in deployment.leftOut {
            FileHandle.standardError.write(Data("left out \(node): its data \(missing) is not on this machine (`make holistic-data` writes the ACTG 175 party files)\n".utf8))
        }
        return deployment
    }
}

struct HolisticNode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run one service node: its data, its models, OIP v2 on record ids.",
        discussion: """
            The node loads the models that read its domain's data, benchmarks each (its measured cost \
            per record, which the placer plans with), listens, and registers with the catalogue of \
            the deployment file. GET /hddnn/v1/access-log lists every read of its records and every \
            record that left it.

              hddnn holistic node --config configs/holistic.yaml --node lab
            """)

    @Option(help: "Holistic deployment file.")
    var config = "configs/holistic.yaml"

    @Option(help: "This node's name in the deployment.")
    var node: String

    @Option(help: "Log level.")
    var logLevel = "info"

    @Flag(help: "Exit when the parent process exits (set by commands that start nodes).")
    var exitWithParent = false

    func run() async throws {
        bootstrapLogging(logLevel)
        BLAS.setThreads(1)
        if exitWithParent { watchParent() }
        let service = try ServiceNode(config: HolisticConfig.load(config), node: node)
        let server = try ServiceNodeServer(node: service)
        let app = try server.application { port in service.logger.info("listening", metadata: ["port": "\(port)"]) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            group.addTask {
                do { try await service.warmUp() } catch {
                    service.logger.error("warm-up failed; the node stays unready", metadata: ["error": "\(error)"])
                    return
                }
                await server.register()
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

struct HolisticCatalog: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Serve the catalogue and query API (optionally with every node of the deployment).",
        discussion: """
            GET /hddnn/v1/catalog lists models, who serves them at what cost and who holds their \
            input; POST /hddnn/v1/query answers a query (JSON: subject, answers, records, levels, \
            deadline_ms, fusion, models, placement); POST /hddnn/v1/plan shows the plan only.

              hddnn holistic catalog --start
              curl -s localhost:19400/hddnn/v1/query -d \\
                '{"subject":"actg175-patient","answers":"actg175-event","records":[10056]}'
            """)

    @OptionGroup var deployment: DeploymentOptions

    @Flag(help: "Also start every node of the deployment on this machine.")
    var start = false

    func run() async throws {
        bootstrapLogging(deployment.logLevel == "warning" ? "info" : deployment.logLevel)
        if start {
            let d = try await deployment.start()
            let spec = d.catalog.config.catalog
            let url = d.catalog.config.topology.tls == nil ? "http://\(spec.host):\(spec.port)" : "https://localhost:\(spec.port) (TLS; clients need a token: hddnn token issue)"
            print("catalogue ready at \(url) with \(d.catalog.nodes.count) nodes; Ctrl-C stops everything")
            try await Task.sleep(for: .seconds(86_400 * 365))
        } else {
            let config = try HolisticConfig.load(deployment.config)
            let catalog = Catalog(config: config, table: try Catalog.table(for: config))
            try await CatalogServer(catalog: catalog).application().runService()
        }
    }
}

struct HolisticFit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit every fusion on validation outcomes, then score models and fusions on the test records.",
        discussion: """
            Starts the deployment, asks each model (where its data lives) for its outcomes on the \
            validation records, fits and scores every subset of models fused by average, max and a \
            learned stacker, writes the table the planner chooses from (the deployment's `fusions:` \
            file), then scores everything on the test records, beside the reference models (the \
            whole-image model; the centralised ACTG model, run here on both parties' columns, which \
            no deployment may do). Results: --out.

              hddnn holistic fit                     # about 3 minutes on 2 cores
            """)

    @OptionGroup var deployment: DeploymentOptions

    @Option(help: "Results folder.")
    var out = "docs/holistic/results"

    @Option(help: "ACTG 175 outcome file (labels and splits).")
    var outcomes = ".hddnn/data/actg175/outcome.csv"

    @Option(help: "Only the first N Fashion-MNIST test images (default: all 10,000).")
    var limit: Int?

    func run() async throws {
        bootstrapLogging(deployment.logLevel)
        let d = try await deployment.start()
        defer { Task { await d.stop() } }
        try await SignalGuard.shared.interruptible {
            let cases: [(String, LabeledRecords, LabeledRecords)] = [
                ("fashion-mnist views", try .fashionMNIST(split: "validation"), try .fashionMNIST(split: "test", limit: limit)),
                ("actg175 parties", try .actg175(split: "validation", file: outcomes), try .actg175(split: "test", file: outcomes)),
            ]
            let fitter = FusionFitter(catalog: d.catalog)
            var entries: [FusionTable.Entry] = [], report: [FitReport.Case] = []
            for (title, validation, test) in cases {
                let listed = d.catalog.listing.models.filter { $0.subject == validation.subject && $0.answers == validation.answers }
                let models = listed.map(\.name)
                let classes = listed.first?.labels.count ?? 0
                let progress: @Sendable (String) -> Void = { FileHandle.standardError.write(Data("  \($0)\n".utf8)) }
                let onValidation = try await fitter.outcomes(of: models, on: validation, progress: progress)
                let fitted = FusionFitter.fit(onValidation, labels: validation.labels, classes: classes,
                                              subject: validation.subject, answers: validation.answers)
                entries += fitted
                let onTest = try await fitter.outcomes(of: models, on: test, progress: progress)
                let scored = FusionFitter.score(fitted, outcomes: onTest, labels: test.labels, classes: classes)
                report.append(.init(title: title, validationRecords: validation.ids.count, testRecords: test.ids.count,
                                    rows: scored.map { .init(fusion: $0.0.name, members: $0.0.members, method: $0.0.method,
                                                             validation: $0.0.validation, test: $0.1) },
                                    reference: try reference(for: validation.subject, test: test)))
            }
            let table = FusionTable(fitted: "hddnn holistic fit: Fashion-MNIST training images 55,000-59,999 and ACTG 175's validation patients", entries: entries)
            if let url = d.catalog.config.fusions { try table.write(url); print("fusion table: \(url.path) (\(entries.count) fusions)") }
            // What each node's access log says left it while all of the above ran.
            var access: [String: [String: Int]] = [:]
            for spec in d.catalog.config.topology.nodes {
                let log = try await d.catalog.client.get([AccessLog.Entry].self, node: spec, path: "/hddnn/v1/access-log")
                for e in log { access[spec.name, default: [:]]["\(e.action.rawValue) \(e.part)", default: 0] += e.records }
            }
            let results = URL(fileURLWithPath: out).appendingPathComponent("fusion.json")
            try writePrettyJSON(FitReport(cases: report, access: access), to: results)
            for c in report { c.print() }
            print("\naccess logs (records by action; `sent-*` would mean records left the node):")
            for (node, actions) in access.sorted(by: { $0.key < $1.key }) {
                print("  \(padded(node, 11)) " + actions.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
            }
            print("results: \(results.path)")
        }
    }

    /// The reference the issue asks beside the fusions: for the images, the whole-image model is
    /// served and already in the table; for the patients, the centralised model, run here on
    /// both parties' columns (which only an evaluation may do).
    func reference(for subject: String, test: LabeledRecords) throws -> FitReport.Reference? {
        guard subject == "actg175-patient" else { return nil }
        let folder = URL(fileURLWithPath: outcomes).deletingLastPathComponent()
        let lab = try TableHolding(source: "actg175", file: folder.appendingPathComponent("lab.csv").path)
        let clinic = try TableHolding(source: "actg175", file: folder.appendingPathComponent("clinic.csv").path)
        let model = try CardedModel.load(onnx: URL(fileURLWithPath: "models/holistic/actg-central.onnx"))
        let columns = model.card.semantics?.columns ?? []
        // Each party's columns for all test patients, then one row per patient in the model's order.
        let parts = try [lab, clinic].map { table in
            let own = columns.filter(table.columns.contains)
            return (own, try table.values(test.ids, columns: own))
        }
        var features: [Float] = []
        for r in test.ids.indices {
            for c in columns {
                guard let (own, values) = parts.first(where: { $0.0.contains(c) }) else {
                    throw ValidationError("neither party's table has column '\(c)' of \(model.card.name)")
                }
                features.append(values[r * own.count + own.firstIndex(of: c)!])
            }
        }
        let out = try model.session.run([model.card.input.name: Tensor(shape: [test.ids.count, columns.count], floats: features)])
        let p = Fusion.probabilities(logits: out[model.card.output.name]!.floats, classes: 2)
        return .init(model: "actg-central", note: "centralised upper bound: one model on both parties' columns (never served)",
                     test: .measure(p, labels: test.labels, classes: 2))
    }
}

/// What `hddnn holistic fit` measured.
struct FitReport: Codable {
    var cases: [Case]
    /// Records by node and access-log action ("read actg175 columns cd40, ...": 1710).
    var access: [String: [String: Int]]

    struct Case: Codable {
        var title: String
        var validationRecords: Int
        var testRecords: Int
        var rows: [Row]
        var reference: Reference?

        func print() {
            Swift.print("\n\(title): fitted on \(validationRecords) validation records, scored on \(testRecords) test records")
            let auc = rows.first?.test.auc != nil
            Swift.print("  " + padded("model or fusion", 50) + padded(auc ? "val AUC" : "val acc", 10, right: true)
                        + padded(auc ? "test AUC" : "test acc", 10, right: true) + (auc ? padded("test acc", 10, right: true) : ""))
            let number = { (v: Double) in padded(String(format: "%.4f", v), 10, right: true) }
            for r in rows.sorted(by: { $0.test.rank > $1.test.rank }) {
                Swift.print("  " + padded(r.fusion, 50) + number(r.validation.rank) + number(r.test.rank) + (auc ? number(r.test.accuracy) : ""))
            }
            if let reference {
                Swift.print("  " + padded("\(reference.model) (reference)", 50) + padded("-", 10, right: true)
                            + number(reference.test.rank) + number(reference.test.accuracy))
            }
        }
    }

    struct Row: Codable {
        var fusion: String
        var members: [String]
        var method: FusionMethod
        var validation: FusionTable.Score
        var test: FusionTable.Score
    }

    struct Reference: Codable {
        var model: String
        var note: String
        var test: FusionTable.Score
    }
}

/// `text` padded with spaces to `width` columns (left-aligned, or right-aligned).
func padded(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return right ? fill + text : text + fill
}

/// `value` as indented JSON with sorted keys: stable files that diff well.
func prettyJSON<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(value)
}

func writePrettyJSON<T: Encodable>(_ value: T, to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try prettyJSON(value).write(to: url)
}

/// Exits when the parent dies, so nodes a command started never outlive it (even after SIGKILL).
func watchParent() {
    let parent = getppid()
    Thread.detachNewThread {
        while getppid() == parent { usleep(250_000) }
        Foundation.exit(0)
    }
}
