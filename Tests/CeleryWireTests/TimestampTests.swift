import Testing
import CeleryWire

@Suite("CeleryTimestamp")
struct TimestampTests {
    /// (Celery-form text, microseconds) computed with CPython's datetime.
    static let known: [(String, Int64)] = [
        ("2026-11-29T03:09:49.700783+00:00", 1_795_921_789_700_783),
        ("2026-11-29T03:10:07.288746+00:00", 1_795_921_807_288_746),
        ("2026-01-02T03:04:05+00:00", 1_767_323_045_000_000),
        ("1970-01-01T00:00:00+00:00", 0),
        ("1969-12-31T23:59:59.999999+00:00", -1),
        ("0001-01-01T00:00:00+00:00", -62_135_596_800_000_000),
        ("9999-12-31T23:59:59.999999+00:00", 253_402_300_799_999_999),
    ]

    @Test("known values parse and format back", arguments: zip(known.map { $0.0 }, known.map { $0.1 }))
    func knownValues(text: String, micros: Int64) throws {
        #expect(try CeleryTimestamp.parse(text) == micros)
        #expect(CeleryTimestamp.format(micros) == text)
    }

    @Test("other accepted spellings", arguments: [
        ("2026-11-29T03:09:49.700783Z", Int64(1_795_921_789_700_783)),
        ("2026-11-29T03:09:49.700783", 1_795_921_789_700_783),           // naive = UTC
        ("2026-11-29 03:09:49.700783", 1_795_921_789_700_783),
        ("2026-11-29T05:09:49.700783+02:00", 1_795_921_789_700_783),
        ("2026-11-28T22:09:49.700783-05:00", 1_795_921_789_700_783),
        ("2026-11-29T05:09:49.700783+0200", 1_795_921_789_700_783),
        ("2026-11-29T05:09:49.700783+02", 1_795_921_789_700_783),
        ("2026-11-29T03:09:49.7007839", 1_795_921_789_700_783),            // truncated to micros
        ("2026-11-29T03:09:49.7", 1_795_921_789_700_000),
        ("2026-11-29T03:09", 1_795_921_740_000_000),
        ("2026-11-29", 1_795_910_400_000_000),
        ("2000-02-29T12:00:00+05:30", 951_805_800_000_000),
    ])
    func spellings(text: String, micros: Int64) throws {
        #expect(try CeleryTimestamp.parse(text) == micros)
    }

    @Test("malformed timestamps are rejected", arguments: [
        "", "tomorrow", "2026-13-01T00:00:00", "2026-02-29T00:00:00", "2026-11-31", "2026-11-29T24:00:00",
        "2026-11-29T03:60:00", "2026-11-29T03:09:61", "2026-11-29T03:09:49.", "2026-11-29T03:09:49+25:00",
        "2026-11-29T03:09:49+00:00 ", "26-11-29", "2026/11/29", "0000-01-01", "2026-11-29X03:09:49", "2026-11-29T3:09:49",
    ])
    func malformed(text: String) {
        #expect(throws: WireError.self) { try CeleryTimestamp.parse(text) }
        do { _ = try CeleryTimestamp.parse(text) } catch {
            #expect(error.code == .badTimestamp)
            #expect(error.reason.contains("malformed ISO 8601 timestamp"))
        }
    }

    @Test("round trips over a wide range")
    func roundTrips() throws {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            // Years 1..9999.
            let micros = Int64(x % 315_537_897_600_000_000) - 62_135_596_800_000_000
            let text = CeleryTimestamp.format(micros)
            #expect(try CeleryTimestamp.parse(text) == micros, "\(text)")
        }
        // Whole seconds omit the fraction, like Python's isoformat.
        #expect(CeleryTimestamp.format(1_000_000) == "1970-01-01T00:00:01+00:00")
        #expect(CeleryTimestamp.format(1_000_001) == "1970-01-01T00:00:01.000001+00:00")
    }

    @Test("etaMicros / expiresMicros name the header when malformed")
    func headerErrors() throws {
        var m = TaskMessage(task: "t", id: "i")
        m.eta = "soon"
        #expect(throws: WireError(.badTimestamp, "headers.eta: malformed ISO 8601 timestamp 'soon' (expected e.g. 2026-11-29T03:09:49.700783+00:00)")) {
            try m.etaMicros
        }
        m.expires = "2026-11-29T03:10:39.892157+00:00"
        #expect(try m.expiresMicros == 1_795_921_839_892_157)
        m.expires = nil
        #expect(try m.expiresMicros == nil)
    }
}
