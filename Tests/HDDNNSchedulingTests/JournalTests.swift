import Foundation
import HDDNNScheduling
import Testing

@Suite struct JournalTests {
    func journal() throws -> Journal {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hddnn-journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return try Journal(path: dir.appendingPathComponent("j.sqlite").path)
    }

    @Test func aResultIsRecordedExactlyOnce() throws {
        let j = try journal()
        try j.createJob(id: "job-a", fingerprint: "fp", configuration: "{}", tasks: [(0, 50), (50, 50)])
        try j.recordCoarse(job: "job-a", task: 0, labels: [1, 2], endNode: "end-1", latency: 0.1, attempts: 1)
        #expect(try j.recordFinal(job: "job-a", task: 0, fine: [3, 4], source: .fine, upperNode: "edge-1", fineLatency: 0.5, metadata: "{}"))
        #expect(try !j.recordFinal(job: "job-a", task: 0, fine: [9, 9], source: .fine, upperNode: "edge-2", fineLatency: 0.7, metadata: "{}"),
                "a second final result must be refused")
        #expect(try j.duplicates(job: "job-a") == 1)
        let rows = try j.tasks(job: "job-a")
        #expect(rows[0].fine == [3, 4] && rows[0].upperNode == "edge-1" && rows[0].coarse == [1, 2])
        #expect(rows[1].state == .pending)
    }

    @Test func unfinishedJobsCanBeFoundToResume() throws {
        let j = try journal()
        try j.createJob(id: "old", fingerprint: "same", configuration: "{}", tasks: [(0, 10)])
        try j.finishJob("old", summary: "{}")
        #expect(try j.resumableJob(fingerprint: "same") == nil, "a finished job is not resumed")
        try j.createJob(id: "new", fingerprint: "same", configuration: "{}", tasks: [(0, 10)])
        #expect(try j.resumableJob(fingerprint: "same") == "new")
        #expect(try j.resumableJob(fingerprint: "other") == nil)
    }
}
