import ArgumentParser
import Foundation
import HDDNNCluster
import HDDNNExperiments

struct Chaos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Kill nodes and coordinators at random during jobs and check from the journal that no result is lost.",
        discussion: """
            Starts its own testbed on this machine (3 end devices, a dependable and an undependable \
            edge device, an undependable cloud; a 300 ms communication timeout), then runs --runs \
            jobs of every scheme under Reassign and Monitor. Each job gets 1-3 random SIGKILLs of any \
            node, some started again after a random pause and some killed again after that; every \
            --coordinator-every-th run instead kills the coordinator (`hddnn run` as its own process) \
            mid-job and finishes it with `hddnn run --resume`. The seed fixes every choice.

            Each run is judged from its journal, not from its report: every task done exactly once \
            (a fine label, or the coarse label with the reason it is final) or lost with a reason, \
            no second result offered, and no task lost, since end-1 always outlives the job. The \
            command exits 1 when any run breaks that, and lists what broke.

              hddnn chaos --runs 10 --seed 1
              hddnn chaos --runs 300 --seed 7 --json docs/chaos/chaos.json  # bench/
            """)

    @Option(help: "Jobs to run.")
    var runs: Int = 10

    @Option(help: "Seed for every random choice (scheme, policy, which nodes, when, restarts).")
    var seed: UInt64 = 1

    @Option(help: "Images per job (Fashion-MNIST test split).")
    var images: Int = 300

    @Option(help: "Images per task.")
    var batch: Int = 25

    @Option(help: "Every Nth run kills the coordinator instead of nodes (0: never).")
    var coordinatorEvery: Int = 5

    @Option(help: "Write every run and the totals as JSON here.")
    var json: String?

    @Option(help: "Scratch folder (topology, node logs, journal).")
    var work: String = ".hddnn/chaos"

    @OptionGroup var assets: AssetOptions

    func validate() throws {
        guard runs > 0 else { throw ValidationError("--runs must be positive") }
        guard images > 0, batch > 0, batch <= images else { throw ValidationError("--images and --batch must be positive, --batch at most --images") }
        guard coordinatorEvery >= 0 else { throw ValidationError("--coordinator-every must be 0 or more") }
    }

    func run() async throws {
        bootstrapLogging("critical")
        let ctx = assets.context(output: work, full: false)
        let chaos = ChaosExperiment(runs: runs, seed: seed, images: images, batch: batch, coordinatorEvery: coordinatorEvery)
        let total = runs
        let result = try await chaos.run(ctx) { run in
            let line = String(format: "[%d/%d] %@ %@ %@: %d tasks, %d fine, %d coarse, %d lost, %d duplicates, %.1f s%@",
                              run.index + 1, total, run.scheme, run.policy, run.faults.joined(separator: " "), run.audit.tasks,
                              run.audit.fine, run.audit.coarseFinal, run.audit.lost.count + run.audit.unfinished.count,
                              run.audit.duplicates, run.seconds, run.passed ? "" : "  FAILED: " + run.violations.joined(separator: "; "))
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        if let json {
            let url = URL(fileURLWithPath: json)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try encoder.encode(result).write(to: url)
        }
        print(String(format: "chaos (seed %llu): %d runs, %d node kills, %d restarts, %d coordinator kills; %d tasks, %d fine, %d coarse-final, %d lost, %d duplicates; %d run(s) failed; %.0f s on %@",
                     result.seed, result.totalRuns, result.kills, result.restarts, result.coordinatorKills, result.tasks, result.fineTasks,
                     result.coarseFinalTasks, result.lost, result.duplicates, result.failedRuns, result.seconds, result.cpu))
        if result.failedRuns > 0 { throw ExitCode(1) }
    }
}
