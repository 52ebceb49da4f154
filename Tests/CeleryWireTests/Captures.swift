import Foundation
import Testing
import CeleryWire

/// Locates and reads the Celery/Kombu ground-truth captures: real messages, results, events and
/// MONITOR logs of Celery 5.7 on Redis 7, committed in `Tests/Fixtures/celery-wire` (their README
/// says how they were made), so a clone of the repository tests itself.
///
/// Lookup: `$LOVAGE_CELERY_WIRE` if set (another set of captures); else `Tests/Fixtures/celery-wire`
/// of this repository, found from this source file. A missing folder is an error, never a skip.
enum Captures {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static func directory(filePath: String = #filePath) throws -> URL {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["LOVAGE_CELERY_WIRE"], !env.isEmpty {
            let url = URL(fileURLWithPath: env, isDirectory: true)
            guard fm.fileExists(atPath: url.appendingPathComponent("README.md").path) else {
                throw Missing(description: "LOVAGE_CELERY_WIRE=\(env) does not contain the celery-wire captures (README.md missing)")
            }
            return url
        }
        // Tests/CeleryWireTests/Captures.swift → Tests/Fixtures/celery-wire
        let url = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/celery-wire", isDirectory: true)
        guard fm.fileExists(atPath: url.appendingPathComponent("README.md").path) else {
            throw Missing(description: "celery-wire captures not found at \(url.path) (README.md missing). Set LOVAGE_CELERY_WIRE to the folder.")
        }
        return url
    }

    /// Sorted names of all files in the capture folder.
    static func fileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory().path).sorted()
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory().appendingPathComponent(name)))
    }

    /// The file whose name starts with `prefix` and ends with `suffix` (exactly one must match).
    static func named(prefix: String, suffix: String = ".json") throws -> String {
        let matches = try fileNames().filter {
            $0.hasPrefix(prefix) && $0.hasSuffix(suffix) && !$0.hasSuffix(".decoded-pretty.json") && !$0.hasSuffix(".body.json")
        }
        guard matches.count == 1, let name = matches.first else {
            throw Missing(description: "expected exactly one capture \(prefix)*\(suffix), found \(matches)")
        }
        return name
    }

    enum Kind { case task, event, unacked, result }

    /// Capture files that hold one wire value, with what they hold. Derived files
    /// (`.decoded-pretty.json`, `.body.json`) and non-JSON files are excluded.
    static func wireFiles() throws -> [(name: String, kind: Kind)] {
        try fileNames().compactMap { name in
            guard name.hasSuffix(".json"), !name.hasSuffix(".decoded-pretty.json"), !name.hasSuffix(".body.json"),
                  let first = name.first, first.isNumber
            else { return nil }
            if name.contains("result-backend") { return (name, .result) }
            if name.contains("unacked") { return (name, .unacked) }
            let number = Int(name.prefix(while: \.isNumber)) ?? 0
            return (name, number >= 80 ? .event : .task)
        }
    }

    /// The pretty file's decoded message object (its key differs per capture family).
    static func prettyMessage(for name: String) throws -> JSONValue? {
        let pretty = name.replacingOccurrences(of: ".json", with: ".decoded-pretty.json")
        guard try fileNames().contains(pretty) else { return nil }
        let doc = try JSONValue.parse(bytes(pretty))
        for key in ["envelope_with_decoded_body", "value_with_decoded_body", "message_with_decoded_body"] {
            if let v = doc[key] { return v }
        }
        return nil
    }
}

/// Human-readable text of bytes for failure messages.
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
