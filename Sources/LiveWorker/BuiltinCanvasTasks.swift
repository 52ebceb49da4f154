import CeleryWire
import WorkerCore

/// Celery's built-in canvas tasks (celery/app/builtins.py), so `xstarmap`, `xmap` and `chunks`
/// (which expand to `celery.starmap`) run on a Lovage worker: `celery.starmap(task, it)` runs the
/// named task's body inline for each item (`task(*item)`), `celery.map(task, it)` with each item as
/// the one argument, and returns the list of results. A task this worker does not have fails with
/// `NotRegistered`, as `signature(task).type` does; the first item that fails ends the map with its error.
extension BuiltinTasks {
    /// Registers them over a snapshot of `registry`: call it after every other task is registered.
    public static func registerCanvas(into registry: inout TaskRegistry) {
        let snapshot = registry
        registry.register("celery.starmap", body: { context in map(context, registry: snapshot, star: true) })
        registry.register("celery.map", body: { context in map(context, registry: snapshot, star: false) })
    }

    static func map(_ context: TaskContext, registry: TaskRegistry, star: Bool) -> TaskBodyResult {
        guard let task = context.argument(0, "task"), let name = task["task"]?.stringValue ?? task.stringValue else {
            return .failure(ErrorDescription(type: "TypeError", message: "\(context.taskName)() missing required argument: 'task'"))
        }
        guard let items = context.argument(1, "it")?.arrayValue else {
            return .failure(ErrorDescription(type: "TypeError", message: "\(context.taskName)(): 'it' must be a list"))
        }
        guard let entry = registry.entry(named: name) else {
            return .failure(ErrorDescription(type: "NotRegistered", message: name, module: "celery.exceptions"))
        }
        var results: [JSONValue] = []
        results.reserveCapacity(items.count)
        for item in items {
            var inner = context
            inner.taskName = name
            inner.kwargs = [:]
            if star {
                guard let args = item.arrayValue else {
                    return .failure(ErrorDescription(type: "TypeError", message: "\(name)() argument after * must be an iterable, not \(item.typeName)"))
                }
                inner.args = args
            } else {
                inner.args = [item]
            }
            switch entry.body(inner) {
            case .success(let value): results.append(value)
            case let other: return other
            }
        }
        return .success(.array(results))
    }
}
