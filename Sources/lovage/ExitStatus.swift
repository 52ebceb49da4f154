import ArgumentParser

/// The exit statuses every `lovage` command documents, in one place.
///
/// ArgumentParser exits 64 (EX_USAGE) on a bad option and 1 on any other error; Lovage promises
/// 0 ok, 1 a check failed (an assertion, SLO, invariant or regression), 2 bad input or an
/// unreachable service, so scripts can tell "the system under test failed" from "the command was wrong".
enum ExitStatus {
    static let ok: Int32 = 0
    static let checkFailed: Int32 = 1
    static let badInput: Int32 = 2

    /// The status for an error thrown by parsing or running a command. `parserStatus` is what
    /// ArgumentParser would exit with. A status a command chose (`ExitCode(n)`) stands, help and
    /// `--version` exit 0, and everything else — a usage or validation error, or an error a command
    /// did not expect (a file it cannot read or write) — is bad input.
    static func status(for error: Error, parserStatus: Int32) -> Int32 {
        if let chosen = error as? ExitCode { return chosen.rawValue }
        if parserStatus == ok { return ok }
        return badInput
    }
}
