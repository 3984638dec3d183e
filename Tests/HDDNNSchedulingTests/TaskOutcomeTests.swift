import Foundation
import HDDNNScheduling
import Testing

/// Label sources and loss reasons as the journal stores them, and the audit that reads them back.
@Suite struct TaskOutcomeTests {
    @Test(arguments: [LabelSource.fine, .escalated(images: 7), .coarse(.scheme("End")), .coarse(.deadline), .coarse(.noUpperNode),
                      .coarse(.upperFailed(node: "edge-1")), .coarse(.badAnswer(node: "cloud"))])
    func aLabelSourceReadsBackFromItsText(source: LabelSource) throws {
        #expect(LabelSource(text: source.description) == source)
        let json = try JSONEncoder().encode([source])
        #expect(try JSONDecoder().decode([LabelSource].self, from: json) == [source])
    }

    @Test func theTextsOfEarlierJournalsStillRead() {
        #expect(LabelSource(text: "coarse (deadline)") == .coarse(.deadline))
        #expect(LabelSource(text: "coarse (Mapping scheme)") == .coarse(.scheme("Mapping")))
        #expect(LabelSource(text: "coarse (fine lost: cloud failed)") == .coarse(.upperFailed(node: "cloud")))
        #expect(LabelSource(text: "something else") == nil)
    }

    @Test(arguments: [LossReason.endDeviceFailed(node: "end-3"), .attemptsSpent(64), .noEndDevice, .refused(node: "end-1", message: "400: bad input"),
                      .badAnswer(node: "end-2"), .unfinished(.coarse)])
    func aLossReasonReadsBackFromItsText(reason: LossReason) {
        #expect(LossReason(text: reason.description) == reason)
    }

    func row(_ index: Int, _ state: TaskState, coarse: Int? = 2, fine: Int? = nil, source: LabelSource? = nil, reason: LossReason? = nil) -> Journal.TaskRow {
        Journal.TaskRow(index: index, firstImage: index * 2, count: 2, state: state, coarse: coarse.map { Array(repeating: 1, count: $0) },
                        fine: fine.map { Array(repeating: 3, count: $0) }, labelSource: source, lossReason: reason, endNode: "end-1",
                        upperNode: nil, coarseLatency: 0.1, fineLatency: nil, attempts: 1, metadata: nil)
    }

    @Test func theAuditHoldsOnlyWhenEveryTaskEndedOnce() {
        let good = JobAudit(rows: [row(0, .done, fine: 2, source: .fine), row(1, .done, source: .coarse(.deadline)),
                                   row(2, .lost, coarse: nil, reason: .noEndDevice)], duplicates: 0)
        #expect(good.holds && good.fine == 1 && good.coarseFinal == 1 && good.lost.map(\.task) == [2])

        let halfWay = JobAudit(rows: [row(0, .coarse), row(1, .pending, coarse: nil)], duplicates: 0)
        #expect(!halfWay.holds && halfWay.unfinished == [0, 1])
        #expect(halfWay.violations.contains { $0.contains("ended without a final result") })

        let incomplete = JobAudit(rows: [row(0, .done, fine: 1, source: .fine), row(1, .done, source: nil)], duplicates: 0)
        #expect(incomplete.malformed == [0, 1])
        #expect(!JobAudit(rows: [row(0, .done, fine: 2, source: .fine)], duplicates: 1).holds)
        #expect(!JobAudit(rows: [row(0, .lost, reason: nil)], duplicates: 0).holds, "a loss must say why")
    }
}
