import Logging
import LovageLogging
import Testing

@Suite("Log levels and formats from flags and the environment")
struct LogSettingsTests {
    @Test("-l/--loglevel reads Celery's names in any case, with Python's WARN and FATAL")
    func levels() throws {
        #expect(LogLevelName.parse("DEBUG") == .debug)
        #expect(LogLevelName.parse("info") == .info)
        #expect(LogLevelName.parse("Warning") == .warning)
        #expect(LogLevelName.parse("warn") == .warning)
        #expect(LogLevelName.parse("ERROR") == .error)
        #expect(LogLevelName.parse("fatal") == .critical)
        #expect(LogLevelName.parse("CRITICAL") == .critical)
        #expect(LogLevelName.parse("verbose") == nil)
        #expect(throws: LogSettingError.self) { try LogLevelName.resolve("loud") }
        do { _ = try LogLevelName.resolve("loud", flag: "-l/--loglevel") } catch {
            #expect(error.description == "-l/--loglevel must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got loud")
        }
    }

    @Test("a logger at WARNING drops INFO and DEBUG records and keeps WARNING and above")
    func filtering() {
        let lines = WrittenLines()
        let logger = fixedLogger(lines, format: .celery, level: try! LogLevelName.resolve("WARNING"), timeMicros: 0)
        logger.debug("d")
        logger.info("i")
        logger.warning("w")
        logger.error("e")
        #expect(lines.all == "[1970-01-01 00:00:00,000: WARNING/MainProcess] w\n[1970-01-01 00:00:00,000: ERROR/MainProcess] e\n")
    }

    @Test("the format comes from --log-format, else LOVAGE_LOG_FORMAT, else the command's default; bad values are named")
    func formats() throws {
        #expect(try LogFormat.resolve(flag: nil, environment: [:]) == .celery)
        #expect(try LogFormat.resolve(flag: nil, environment: [:], fallback: .plain) == .plain)
        #expect(try LogFormat.resolve(flag: nil, environment: ["LOVAGE_LOG_FORMAT": "JSON"]) == .json)
        #expect(try LogFormat.resolve(flag: "celery", environment: ["LOVAGE_LOG_FORMAT": "json"]) == .celery)
        #expect(LogFormat.parse("plain") == nil, "plain is a command's default, not a choice")
        do { _ = try LogFormat.resolve(flag: "xml", environment: [:]); Issue.record("xml accepted") } catch {
            #expect(error.description == "--log-format must be celery or json, got xml")
        }
        do { _ = try LogFormat.resolve(flag: nil, environment: ["LOVAGE_LOG_FORMAT": "yaml"]); Issue.record("yaml accepted") } catch {
            #expect(error.description == "LOVAGE_LOG_FORMAT must be celery or json, got yaml")
        }
    }

    @Test("a CollectingLogHandler keeps records in order, with their level, label and metadata")
    func collecting() {
        let records = LogRecords()
        let logger = CollectingLogHandler.logger(label: "lovage.beat", records: records, level: .info)
        logger.debug("hidden")
        logger.info("beat: Starting...")
        logger.warning("lost", metadata: ["k": "v"])
        #expect(records.lines == ["[INFO] beat: Starting...", "[WARNING] lost"])
        #expect(records.all.map(\.label) == ["lovage.beat", "lovage.beat"])
        #expect(records.all.last?.metadata == ["k": "v"])
    }
}
