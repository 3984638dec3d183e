import Foundation
import HDDNNScheduling
import HDDNNTestSupport
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

    @Test func aLostTaskKeepsItsReasonAndEndsOnce() throws {
        let j = try journal()
        try j.createJob(id: "job-b", fingerprint: "fp", configuration: "{}", tasks: [(0, 50), (50, 50)])
        #expect(try j.recordLost(job: "job-b", task: 1, reason: .noEndDevice))
        #expect(try !j.recordFinal(job: "job-b", task: 1, fine: nil, source: .coarse(.deadline), upperNode: nil, fineLatency: nil, metadata: "{}"),
                "a lost task has ended: no result after it")
        let rows = try j.tasks(job: "job-b")
        #expect(rows[1].state == .lost && rows[1].lossReason == .noEndDevice)
        let audit = try j.audit(job: "job-b")
        #expect(audit.unfinished == [0] && audit.duplicates == 1 && !audit.holds)
    }

    @Test func aJournalThatCannotBeWrittenSaysSo() throws {
        let j = try journal()
        try j.createJob(id: "job-c", fingerprint: "fp", configuration: "{}", tasks: [(0, 50)])
        try j.close()
        #expect(throws: JournalError.self) {
            try j.recordCoarse(job: "job-c", task: 0, labels: [1], endNode: "end-1", latency: 0.1, attempts: 1)
        }
    }

    @Test func anOlderJournalGainsTheReasonColumn() throws {
        let path = try Repository.workspace("old-journal").appendingPathComponent("old.sqlite").path
        // The schema before loss reasons, with one finished task written the old way.
        let script = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            c.executescript(\"\"\"CREATE TABLE jobs (id TEXT PRIMARY KEY, created REAL NOT NULL, fingerprint TEXT NOT NULL,
              configuration TEXT NOT NULL, state TEXT NOT NULL, duplicates INTEGER NOT NULL DEFAULT 0, summary TEXT);
            CREATE TABLE tasks (job_id TEXT NOT NULL REFERENCES jobs(id), task_index INTEGER NOT NULL,
              first_image INTEGER NOT NULL, count INTEGER NOT NULL, state TEXT NOT NULL, coarse TEXT, fine TEXT, label_source TEXT,
              end_node TEXT, upper_node TEXT, coarse_latency REAL, fine_latency REAL, attempts INTEGER NOT NULL DEFAULT 0,
              metadata TEXT, finished REAL, PRIMARY KEY (job_id, task_index));
            INSERT INTO jobs VALUES ('old', 0, 'fp', '{}', 'running', 0, NULL);
            INSERT INTO tasks (job_id, task_index, first_image, count, state, coarse, label_source)
              VALUES ('old', 0, 0, 1, 'done', '[2]', 'coarse (End scheme)');\"\"\")
            c.commit()
            """
        let made = try ProcessRunner(executable: URL(fileURLWithPath: "/usr/bin/python3")).run(["-c", script, path])
        try #require(made.status == 0, "\(made.stderr)")
        let j = try Journal(path: path)
        let rows = try j.tasks(job: "old")
        #expect(rows.first?.labelSource == .coarse(.scheme("End")) && rows.first?.lossReason == nil)
        #expect(try j.audit(job: "old").holds)
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
