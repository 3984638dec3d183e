import Foundation

/// The experiments of the HDDNN paper's §4, by name, as `hddnn experiment NAME` runs them. Each
/// writes `NAME.json` into the output folder; `scripts/paper_report.py` turns those into
/// `docs/paper-reproduction.md` and its plots.
public enum PaperExperiment: String, CaseIterable, Sendable {
    case table1, table2, scaling, schedulers, escalation, table4, table5, faults, deadline

    public var summary: String {
        switch self {
        case .table1: "Table 1: ms/image of each tier's model on end- and edge-class nodes, accuracy, parameters"
        case .table2: "Table 2: ms/image with the communication module off, on at 0 s, on with the paper's waits"
        case .scaling: "Figure 4 and Table 3: finish time and fine accuracy of every scheme (and ours) for 1-8 end devices"
        case .schedulers: "Ours against Mapping on an emulated testbed of separate machines (1-8 end devices)"
        case .escalation: "Ours: per-image escalation by confidence, the curve over its threshold beside the schemes, on both testbeds"
        case .table4: "Table 4: the split of each upper model, bytes raw vs split"
        case .table5: "Table 5: split overhead at 0.5-2 s latency, on end vs edge, and a bandwidth sweep"
        case .faults: "Figure 5 and Table 6: finish time with 0-6 killed end devices under none, Reassign, Monitor"
        case .deadline: "Accuracy for time: fine share and accuracy as a per-task deadline tightens"
        }
    }

    /// Runs the experiment and writes its JSON; returns the file.
    public func run(_ ctx: ExperimentContext) async throws -> URL {
        switch self {
        case .table1: try ctx.write(try await Table1Experiment().run(ctx), name: rawValue)
        case .table2: try ctx.write(try await Table2Experiment().run(ctx), name: rawValue)
        case .scaling: try ctx.write(try await ScalingExperiment().run(ctx), name: rawValue)
        case .schedulers: try ctx.write(try await SchedulerExperiment().run(ctx), name: rawValue)
        case .escalation: try ctx.write(try await EscalationExperiment().run(ctx), name: rawValue)
        case .table4: try ctx.write(try await Table4Experiment().run(ctx), name: rawValue)
        case .table5: try ctx.write(try await Table5Experiment().run(ctx), name: rawValue)
        case .faults: try ctx.write(try await FaultExperiment().run(ctx), name: rawValue)
        case .deadline: try ctx.write(try await DeadlineExperiment().run(ctx), name: rawValue)
        }
    }
}
