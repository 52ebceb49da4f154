import Yams

/// `lovage beat --schedule FILE`: a schedule file (YAML or JSON) to a checked `ScheduleSpec`, with
/// every problem at its line, column and key path, as scenario files are checked — nothing is
/// sent from a file that has one.
public enum ScheduleFileLoader {
    public static func load(path: String) throws(ScenarioError) -> ScheduleSpec {
        try parse(yaml: try ScenarioLoader.readFile(path), sourcePath: path)
    }

    public static func parse(yaml: String, sourcePath: String) throws(ScenarioError) -> ScheduleSpec {
        let expected = "a mapping with entries: (each a task and its schedule), and optionally timezone"
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ScenarioLoader.yamlError(error, file: sourcePath, yaml: yaml)
        }
        guard let root else {
            throw ScenarioError(file: sourcePath, line: 1, column: 1, keyPath: "", expected: expected, found: "an empty document")
        }
        let reader = Reader(file: sourcePath)
        let spec = ScenarioBuilder(reader: reader, sourcePath: sourcePath).readSchedule(root, "")
        try ScenarioLoader.throwRecorded(reader)
        guard let spec else {
            throw ScenarioError(file: sourcePath, line: 1, column: 1, keyPath: "", expected: expected, found: "",
                                message: "the schedule could not be read")
        }
        return spec
    }
}
