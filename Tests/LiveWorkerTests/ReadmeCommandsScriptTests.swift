import Foundation
import Testing

/// scripts/check-readme-commands.sh follows the convention it documents: which lines are commands,
/// which are skipped, and which exit status each must have.
@Suite("check-readme-commands.sh")
struct ReadmeCommandsScriptTests {
    static let fixture = """
        # A page

        ```sh
        lovage validate FILE...
        lovage simulate FILE [--seed N]
        .build/release/lovage validate scenarios/dify-default.yaml
        lovage validate scenarios/no-such-file.yaml   # exits 2
        $ lovage validate scenarios/burst.yaml | head -1
        lovage worker -Q celery
        lovage simulate scenarios/dify-default.yaml --no-trace  # needs redis (a comment that skips it)
        lovage validate scenarios/no-such-file.yaml
        lovage validate \\
            scenarios/burst.yaml
        lovage explore scenarios/visibility-timeout-duplicate.yaml --seeds 1...10000000   # exits 1, timeout 1s
        ```

        Output is indented and not run:

        ```
        explored ...
            lovage replay scenarios/no-such-file.yaml --seed 1
        ```

        lovage validate outside-a-code-block.yaml
        """

    @Test("runs the commands, skips synopses and Redis commands, fails the one with the wrong status and the one over its time")
    func followsItsConvention() throws {
        let page = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-readme-\(UUID().uuidString).md")
        try Data(Self.fixture.utf8).write(to: page)
        defer { try? FileManager.default.removeItem(at: page) }

        let script = CommandLineTests.root.appendingPathComponent("scripts/check-readme-commands.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path, page.path]
        process.environment = ProcessInfo.processInfo.environment.merging(["LOVAGE_BIN": LovageProcess.executable.path]) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        #expect(process.terminationStatus == 1, "\(text)")
        #expect(text.contains("4 passed, 2 failed, 4 skipped"), "\(text)")
        #expect(text.contains(":14  expected exit 1, got still running after 1 s"), "\(text)")
        #expect(text.contains(":11  expected exit 0, got exit 2  lovage validate scenarios/no-such-file.yaml"), "\(text)")
        #expect(text.contains("ok    \(page.path):8"), "\(text)")
        #expect(text.contains("(synopsis)  lovage validate FILE..."), "\(text)")
        #expect(text.contains("(needs redis)  lovage worker -Q celery"), "\(text)")
        #expect(!text.contains("--seed 1"), "indented output ran: \(text)")
        #expect(!text.contains("outside-a-code-block"), "\(text)")
    }
}
