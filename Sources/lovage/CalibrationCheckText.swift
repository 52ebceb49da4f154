import Calibration
import CeleryWire
import Foundation

/// `lovage calibrate --check` on screen and as JSON.
enum CalibrationCheckText {
    static func table(_ check: CalibrationCheck) -> String {
        var lines = ["check: recorded against simulated (mean of seeds \(check.seeds.first!)...\(check.seeds.last!), with the seeds' range)"]
        for row in check.rows {
            lines.append("")
            lines.append(row.task)
            for figure in row.figures {
                let recorded = figure.recorded.map { CalibrationCheck.format($0, figure.name) } ?? "—"
                let simulated = figure.mean.map { CalibrationCheck.format($0, figure.name) } ?? "—"
                var range = ""
                if let low = figure.simulated.min(), let high = figure.simulated.max(), figure.simulated.count > 1, high > low {
                    range = "[" + CalibrationCheck.format(low, figure.name) + " … " + CalibrationCheck.format(high, figure.name) + "]"
                }
                let verdict: String
                switch figure.within {
                case true?: verdict = "ok"
                case false?: verdict = "OFF"
                case nil: verdict = ""
                }
                var difference = ""
                if let r = figure.recorded, let m = figure.mean, r != 0 { difference = String(format: "%+.1f%%", (m - r) / r * 100) }
                lines.append("  " + pad(figure.name, 16) + pad(recorded, 12) + pad(simulated, 12) + pad(difference, 9) + pad(verdict, 5) + range)
            }
        }
        if check.findings.isEmpty {
            lines.append("")
            lines.append("every figure is within its tolerance: the model reproduces the recording")
        } else {
            lines.append("")
            lines.append("where the model does not reproduce the recording:")
            for finding in check.findings { lines.append("- " + finding) }
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func json(_ check: CalibrationCheck, scenarioPath: String) -> JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { $0.isFinite ? .double($0) : .null } ?? .null }
        return .object([
            "scenario": .string(scenarioPath),
            "seeds": .array(check.seeds.map { .int(Int64($0)) }),
            "trace_hashes": .array(check.traceHashes.map { .string($0) }),
            "rows": .array(check.rows.map { row in
                .object(["task": .string(row.task), "figures": .object(JSONObject(row.figures.map { figure in
                    (figure.name, .object(["recorded": number(figure.recorded), "simulated": number(figure.mean),
                                           "runs": .array(figure.simulated.map { number($0) }),
                                           "seed_interval": number(figure.seedInterval),
                                           "within": figure.within.map { .bool($0) } ?? .null]))
                }))])
            }),
            "findings": .array(check.findings.map { .string($0) }),
        ])
    }
}
