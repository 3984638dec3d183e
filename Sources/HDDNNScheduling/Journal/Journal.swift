import Foundation
import GRDB

/// The job runner's journal, an SQLite file (through GRDB): every job, every task, and every
/// task's result, written as they happen, so a job interrupted on the coordinator resumes without
/// redoing finished tasks, and so "every task's result is recorded exactly once" can be checked
/// from the file itself: a final result is written by a conditional update that cannot apply twice,
/// and a second attempt is counted in `duplicates` instead of overwriting. `audit(job:)` checks
/// the invariant every job promises (each task done or lost with its reason) from the file.
public final class Journal: Sendable {
    private let db: DatabaseQueue
    public let path: String

    public init(path: String) throws(JournalError) {
        self.path = path
        do {
            // Another process may read the file while a job writes (a second `hddnn run --resume`,
            // an inspector, the chaos driver): wait for its lock instead of failing the job.
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            db = try DatabaseQueue(path: path, configuration: configuration)
            try db.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS jobs (
                        id TEXT PRIMARY KEY, created REAL NOT NULL, fingerprint TEXT NOT NULL,
                        configuration TEXT NOT NULL, state TEXT NOT NULL, duplicates INTEGER NOT NULL DEFAULT 0,
                        summary TEXT);
                    CREATE TABLE IF NOT EXISTS tasks (
                        job_id TEXT NOT NULL REFERENCES jobs(id), task_index INTEGER NOT NULL,
                        first_image INTEGER NOT NULL, count INTEGER NOT NULL,
                        state TEXT NOT NULL, coarse TEXT, fine TEXT, label_source TEXT,
                        end_node TEXT, upper_node TEXT, coarse_latency REAL, fine_latency REAL,
                        attempts INTEGER NOT NULL DEFAULT 0, metadata TEXT, finished REAL,
                        PRIMARY KEY (job_id, task_index));
                    """)
                // Journals written before loss reasons were recorded gain the column.
                if try !db.columns(in: "tasks").contains(where: { $0.name == "reason" }) {
                    try db.execute(sql: "ALTER TABLE tasks ADD COLUMN reason TEXT")
                }
            }
        } catch {
            throw .database(path: path, "\(error)")
        }
    }

    /// Creates a job and its pending tasks.
    public func createJob(id: String, fingerprint: String, configuration: String, tasks: [(first: Int, count: Int)]) throws(JournalError) {
        try write { db in
            try db.execute(sql: "INSERT INTO jobs (id, created, fingerprint, configuration, state) VALUES (?, ?, ?, ?, 'running')",
                           arguments: [id, Date().timeIntervalSince1970, fingerprint, configuration])
            for (i, t) in tasks.enumerated() {
                try db.execute(sql: "INSERT INTO tasks (job_id, task_index, first_image, count, state) VALUES (?, ?, ?, ?, 'pending')",
                               arguments: [id, i, t.first, t.count])
            }
        }
    }

    /// The newest unfinished job with this fingerprint (same topology, scheme and job size).
    public func resumableJob(fingerprint: String) throws(JournalError) -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT id FROM jobs WHERE fingerprint = ? AND state = 'running' ORDER BY created DESC LIMIT 1",
                                arguments: [fingerprint])
        }
    }

    public func recordCoarse(job: String, task: Int, labels: [Int], endNode: String, latency: Double, attempts: Int) throws(JournalError) {
        try write { db in
            try db.execute(sql: """
                UPDATE tasks SET state = 'coarse', coarse = ?, end_node = ?, coarse_latency = ?, attempts = ?
                WHERE job_id = ? AND task_index = ? AND state IN ('pending', 'coarse')
                """, arguments: [Self.json(labels), endNode, latency, attempts, job, task])
        }
    }

    /// Writes a task's final result once. Returns false (and counts a duplicate) if the task
    /// already had one.
    @discardableResult
    public func recordFinal(job: String, task: Int, fine: [Int]?, source: LabelSource, upperNode: String?, fineLatency: Double?,
                            metadata: String) throws(JournalError) -> Bool {
        try finish(job: job, task: task, state: .done, columns: "fine = ?, label_source = ?, upper_node = ?, fine_latency = ?, metadata = ?",
                   arguments: [fine.map(Self.json), source.description, upperNode, fineLatency, metadata])
    }

    /// Counts a task lost, once, with its reason. Returns false (and counts a duplicate) if the
    /// task had already ended.
    @discardableResult
    public func recordLost(job: String, task: Int, reason: LossReason, metadata: String? = nil) throws(JournalError) -> Bool {
        try finish(job: job, task: task, state: .lost, columns: "reason = ?, metadata = coalesce(?, metadata)",
                   arguments: [reason.description, metadata])
    }

    /// The one conditional update that ends a task: it applies only to a task not yet ended.
    private func finish(job: String, task: Int, state: TaskState, columns: String, arguments: StatementArguments) throws(JournalError) -> Bool {
        try write { db in
            try db.execute(sql: """
                UPDATE tasks SET state = ?, \(columns), finished = ?
                WHERE job_id = ? AND task_index = ? AND state IN ('pending', 'coarse')
                """, arguments: [state.rawValue] + arguments + [Date().timeIntervalSince1970, job, task])
            if db.changesCount == 0 {
                try db.execute(sql: "UPDATE jobs SET duplicates = duplicates + 1 WHERE id = ?", arguments: [job])
                return false
            }
            return true
        }
    }

    public func finishJob(_ job: String, summary: String) throws(JournalError) {
        try write { db in
            try db.execute(sql: "UPDATE jobs SET state = 'finished', summary = ? WHERE id = ?", arguments: [summary, job])
        }
    }

    /// One task's row.
    public struct TaskRow: Sendable, Equatable, Codable {
        public var index: Int
        public var firstImage: Int
        public var count: Int
        public var state: TaskState
        public var coarse: [Int]?
        public var fine: [Int]?
        public var labelSource: LabelSource?
        /// Why a lost task is lost.
        public var lossReason: LossReason?
        public var endNode: String?
        public var upperNode: String?
        public var coarseLatency: Double?
        public var fineLatency: Double?
        public var attempts: Int
        /// The task's metadata (paths, hops, bytes, failed attempts) as JSON text.
        public var metadata: String?

        public init(index: Int, firstImage: Int, count: Int, state: TaskState, coarse: [Int]? = nil, fine: [Int]? = nil,
                    labelSource: LabelSource? = nil, lossReason: LossReason? = nil, endNode: String? = nil, upperNode: String? = nil,
                    coarseLatency: Double? = nil, fineLatency: Double? = nil, attempts: Int = 0, metadata: String? = nil) {
            self.index = index
            self.firstImage = firstImage
            self.count = count
            self.state = state
            self.coarse = coarse
            self.fine = fine
            self.labelSource = labelSource
            self.lossReason = lossReason
            self.endNode = endNode
            self.upperNode = upperNode
            self.coarseLatency = coarseLatency
            self.fineLatency = fineLatency
            self.attempts = attempts
            self.metadata = metadata
        }
    }

    public func tasks(job: String) throws(JournalError) -> [TaskRow] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tasks WHERE job_id = ? ORDER BY task_index", arguments: [job]).map { r in
                TaskRow(index: r["task_index"], firstImage: r["first_image"], count: r["count"],
                        state: TaskState(rawValue: r["state"]) ?? .pending,
                        coarse: Self.labels(r["coarse"]), fine: Self.labels(r["fine"]),
                        labelSource: (r["label_source"] as String?).flatMap(LabelSource.init(text:)),
                        lossReason: (r["reason"] as String?).map(LossReason.init(text:)),
                        endNode: r["end_node"], upperNode: r["upper_node"], coarseLatency: r["coarse_latency"],
                        fineLatency: r["fine_latency"], attempts: r["attempts"], metadata: r["metadata"])
            }
        }
    }

    public func duplicates(job: String) throws(JournalError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT duplicates FROM jobs WHERE id = ?", arguments: [job]) ?? 0 }
    }

    /// The jobs in the file, newest first.
    public func jobs() throws(JournalError) -> [(id: String, fingerprint: String, finished: Bool)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, fingerprint, state FROM jobs ORDER BY created DESC").map { r in
                (id: r["id"], fingerprint: r["fingerprint"], finished: (r["state"] as String) == "finished")
            }
        }
    }

    /// The job's invariant checked from the file: see `JobAudit`.
    public func audit(job: String) throws(JournalError) -> JobAudit {
        JobAudit(rows: try tasks(job: job), duplicates: try duplicates(job: job))
    }

    /// Releases the file. Any later use of this journal fails with a `JournalError`.
    public func close() throws(JournalError) {
        do { try db.close() } catch { throw .database(path: path, "\(error)") }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        do { return try db.write(body) } catch { throw .database(path: path, "\(error)") }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        do { return try db.read(body) } catch { throw .database(path: path, "\(error)") }
    }

    static func json(_ labels: [Int]) -> String { "[" + labels.map(String.init).joined(separator: ",") + "]" }

    static func labels(_ text: String?) -> [Int]? {
        guard let text else { return nil }
        return try? JSONDecoder().decode([Int].self, from: Data(text.utf8))
    }
}

public enum JournalError: Error, Sendable, CustomStringConvertible {
    case database(path: String, String)

    public var description: String {
        switch self {
        case .database(let path, let reason): "journal '\(path)': \(reason)"
        }
    }
}
