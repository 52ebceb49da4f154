import Foundation

/// The scenario's scheduled controls as the run applied them: one entry per control and addressed
/// worker, with the worker's reply, so a summary shows what the operator's actions did and where.
extension RunSummary {
    public struct ControlOutcome: Sendable, Codable, Equatable {
        /// When it was applied, on the run's clock (a real run: seconds since its clock started).
        public var atSeconds: Double
        /// The command as applied, e.g. `pool_grow n=4`, `revoke ids=t121`.
        public var control: String
        /// The worker as the run names it (`worker-1`; a real run: its node name `worker-1@host`).
        public var worker: String
        /// The reply: `ok`, `error`, or `none` (the worker was down, or did not answer in time).
        public var status: String
        /// The reply's text (Celery's `{"ok": ...}` / `{"error": ...}` value), empty for `none`.
        public var reply: String

        public init(atSeconds: Double, control: String, worker: String, status: String, reply: String) {
            self.atSeconds = atSeconds; self.control = control; self.worker = worker; self.status = status; self.reply = reply
        }
    }

    /// `controls applied: 3 (ok 2, error 1, no reply 0)` and one line per outcome; empty without controls.
    public var controlLines: [String] {
        guard let controls, !controls.isEmpty else { return [] }
        let ok = controls.filter { $0.status == "ok" }.count
        let error = controls.filter { $0.status == "error" }.count
        var lines = ["controls applied: \(controls.count) (ok \(ok), error \(error), no reply \(controls.count - ok - error))"]
        for outcome in controls {
            let reply = outcome.status == "none" ? "no reply" : "\(outcome.status): \(outcome.reply)"
            lines.append(String(format: "  %8.3fs  ", outcome.atSeconds) + "\(outcome.control) -> \(outcome.worker): \(reply)")
        }
        return lines
    }
}
