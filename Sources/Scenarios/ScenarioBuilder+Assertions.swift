import Yams

/// The `assertions:` section: pass/fail checks on the run's summary metrics.
extension ScenarioBuilder {
    func readAssertions(_ node: Node) -> [Assertion] {
        guard let items = reader.list(node, "assertions", expected: "a list of assertions like \"lost == 0\"") else { return [] }
        var out: [Assertion] = []
        for (index, item) in items.enumerated() {
            let path = KeyPathText.index("assertions", index)
            guard let text = reader.string(item, path, expected: "an assertion like \"queue_wait.p99 < 30s\"") else { continue }
            do {
                out.append(try Assertion.parse(text))
            } catch {
                reader.fail(item, path, expected: error.expected, found: error.found)
            }
        }
        return out
    }
}
