import Scenarios
import Yams

/// A scenario file as a YAML tree that can be edited by key path and written back, so a shrunk
/// scenario is the user's own file with values changed and entries removed — valid YAML that the
/// loader reads and validates like any other — rather than a re-rendering of every default.
struct ScenarioDocument {
    enum Step: Equatable { case key(String), index(Int) }

    private(set) var root: Node

    init(yaml: String, file: String) throws {
        guard let node = try Yams.compose(yaml: yaml) else { throw ReplayError("\(file) is empty") }
        root = node
    }

    func node(_ path: [Step]) -> Node? { Self.find(root, path[...]) }

    func text(_ path: [Step]) -> String? { node(path)?.scalar?.string }

    func count(_ path: [Step]) -> Int {
        switch node(path) {
        case .sequence(let sequence)?: return sequence.count
        case .mapping(let mapping)?: return mapping.count
        default: return 0
        }
    }

    /// Sets a scalar (plain text, typed by the loader when read back).
    mutating func set(_ path: [Step], _ text: String) { set(path, Node(text)) }

    mutating func set(_ path: [Step], _ value: Node) { root = Self.change(root, path[...]) { _ in value } }

    /// Removes a mapping key or a sequence element.
    mutating func remove(_ path: [Step]) { root = Self.change(root, path[...]) { _ in nil } }

    /// The document as YAML text.
    func yaml() throws -> String { try Yams.serialize(node: root, width: -1, allowUnicode: true) }

    // MARK: Tree walking

    private static func find(_ node: Node, _ path: ArraySlice<Step>) -> Node? {
        guard let step = path.first else { return node }
        switch (node, step) {
        case (.mapping(let mapping), .key(let key)):
            guard let pair = mapping.first(where: { $0.key.scalar?.string == key }) else { return nil }
            return find(pair.value, path.dropFirst())
        case (.sequence(let sequence), .index(let index)):
            guard sequence.indices.contains(index) else { return nil }
            return find(sequence[index], path.dropFirst())
        default:
            return nil
        }
    }

    /// The tree with the node at `path` replaced by `update(old)` (nil removes it). A missing
    /// last mapping key is added; a missing inner step leaves the tree as it was.
    private static func change(_ node: Node, _ path: ArraySlice<Step>, _ update: (Node?) -> Node?) -> Node {
        guard let step = path.first else { return node }
        let last = path.count == 1
        switch (node, step) {
        case (.mapping(let mapping), .key(let key)):
            var pairs = mapping.map { ($0.key, $0.value) }
            if let position = pairs.firstIndex(where: { $0.0.scalar?.string == key }) {
                if last {
                    if let value = update(pairs[position].1) { pairs[position].1 = value } else { pairs.remove(at: position) }
                } else {
                    pairs[position].1 = change(pairs[position].1, path.dropFirst(), update)
                }
            } else if last, let value = update(nil) {
                pairs.append((Node(key), value))
            }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case (.sequence(let sequence), .index(let index)):
            guard sequence.indices.contains(index) else { return node }
            var items = Array(sequence)
            if last {
                if let value = update(items[index]) { items[index] = value } else { items.remove(at: index) }
            } else {
                items[index] = change(items[index], path.dropFirst(), update)
            }
            return .sequence(Node.Sequence(items, sequence.tag, sequence.style, sequence.mark))
        default:
            return node
        }
    }
}
