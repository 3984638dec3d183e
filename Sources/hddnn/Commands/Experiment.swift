import ArgumentParser
import Foundation
import HDDNNCluster
import HDDNNExperiments

extension PaperExperiment: ExpressibleByArgument {}

struct Experiment: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HDDNN paper's experiments (§4) on real local nodes and write their results as JSON.",
        discussion: """
            Experiments: \(PaperExperiment.allCases.map { "\n  \($0.rawValue): \($0.summary)" }.joined())

            Each starts the nodes it needs as processes on this machine, runs, stops them and writes \
            NAME.json into --out. By default jobs are scaled to run in minutes on 2 cores (1,000 \
            images instead of 10,000, the same batch of 50 and the same emulated waits); --full runs \
            the paper's sizes. `make paper` runs them all and renders docs/paper-reproduction.md \
            with plots (scripts/paper_report.py).

              hddnn experiment table4
              hddnn experiment scaling faults --out docs/paper/results
              hddnn experiment --all
            """)

    @Argument(help: "Experiments to run.")
    var names: [PaperExperiment] = []

    @Flag(help: "Run every experiment.")
    var all = false

    @Flag(help: "The paper's sizes (10,000 images per job; more repetitions). Takes hours on 2 cores.")
    var full = false

    @Option(help: "Folder for the JSON results.")
    var out: String = "docs/paper/results"

    @OptionGroup var assets: AssetOptions

    func validate() throws {
        if names.isEmpty && !all { throw ValidationError("name an experiment or pass --all (see --help)") }
    }

    func run() async throws {
        bootstrapLogging("error")
        let ctx = assets.context(output: out, full: full)
        for experiment in all ? PaperExperiment.allCases : names {
            let start = ContinuousClock.now
            FileHandle.standardError.write(Data("\(experiment.rawValue): \(experiment.summary)\n".utf8))
            let url = try await experiment.run(ctx)
            print(String(format: "%@: %@ (%.0f s)", experiment.rawValue, url.path, (ContinuousClock.now - start).seconds))
        }
    }
}
