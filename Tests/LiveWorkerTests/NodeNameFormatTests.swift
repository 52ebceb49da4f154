import Foundation
import LiveWorker
import Testing

/// `-n/--hostname` expanded as Celery 5.7 expands it. The expected names were produced by Celery
/// itself: `host_format(default_nodename(value, default_name='lovage'), host='web-1.example.com')`
/// from `celery.utils.nodenames` (the pinned celery 5.7.0 of interop/requirements.txt).
@Suite("worker node name: Celery's %h/%n/%d expansion")
struct NodeNameFormatTests {
    static let host = "web-1.example.com"

    @Test("templates expand to the names Celery gives", arguments: [
        ("worker@%h", "worker@web-1.example.com"),
        ("foo", "lovage@foo"),
        ("w@%n", "w@web-1"),
        ("w@%d", "w@example.com"),
        ("w@%n.%d", "w@web-1.example.com"),
        ("%h", "lovage@web-1.example.com"),
        ("a@%i%I", "a@0"),
        ("x@%%h", "x@%h"),
        ("x@%", "x@%"),
        ("x@%-y", "x@%-y"),
        ("@%h", "lovage@web-1.example.com"),
        ("a@b@%n", "a@b@web-1"),
    ])
    func expandsLikeCelery(template: String, expected: String) throws {
        #expect(try NodeNameFormat.expand(template, host: Self.host) == expected)
    }

    @Test("a host without a dot has an empty domain")
    func hostWithoutDomain() throws {
        #expect(try NodeNameFormat.expand("w@%n-%d", host: "vm") == "w@vm-")
    }

    @Test("an unknown abbreviation is refused, naming it and the template")
    func unknownAbbreviation() {
        #expect(throws: NodeNameFormat.UnknownAbbreviation(abbreviation: "z", template: "w@%z")) {
            try NodeNameFormat.expand("w@%z", host: Self.host)
        }
        let message = NodeNameFormat.UnknownAbbreviation(abbreviation: "z", template: "w@%z").description
        #expect(message.contains("%z") && message.contains("'w@%z'"), "\(message)")
    }

    @Test("the system host name is the kernel's, as socket.gethostname() reports it")
    func systemHostName() throws {
        let kernel = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(NodeNameFormat.systemHostName() == kernel)
    }

    @Test("lovage worker refuses an unknown abbreviation with exit 2 before connecting")
    func workerRefusesUnknownAbbreviation() throws {
        let outcome = try LovageProcess.run(["worker", "-n", "w@%z", "-b", "redis://127.0.0.1:1/0", "--wait-for-broker", "0"])
        #expect(outcome.status == 2, "\(outcome.standardError)")
        #expect(outcome.standardError.contains("unknown format %z in node name 'w@%z'"), "\(outcome.standardError)")
    }
}
