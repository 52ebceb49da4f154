import ArgumentParser
import Scenarios

/// A resident-memory limit on the command line, kept in KiB as Celery keeps
/// `worker_max_memory_per_child`: a bare number is KiB (`200000`, Celery's habit), and a size with
/// a unit is read as the scenario files read sizes (`200MiB`, `1.5GiB`, `500MB`).
enum MemoryArgument {
    /// Reads a limit into KiB, rounding a size with a unit up to whole KiB; the error says how to write one.
    static func parseKiB(_ text: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty, trimmed.unicodeScalars.allSatisfy({ $0.value >= 48 && $0.value <= 57 }) {
            guard let kib = Int(trimmed), kib > 0 else { throw invalid(text) }
            return kib
        }
        guard trimmed.unicodeScalars.contains(where: { $0.properties.isAlphabetic }),
              let bytes = SizeText.parse(trimmed), bytes > 0 else { throw invalid(text) }
        return Int((bytes + 1023) / 1024)
    }

    private static func invalid(_ text: String) -> ValidationError {
        ValidationError("expected a memory size such as 200000 (KiB, as Celery reads it), 200MiB or 1GiB, got '\(text)'")
    }
}
