/// celery-exporter's `get_hostname`: the host part of a node name (`celery.utils.nodesplit`),
/// `worker1@web-3` → `web-3`; a name without `@` is all host. It keeps the label's cardinality
/// at one value per machine, whatever the workers' names (exporter.py says why).
public enum CeleryHostname {
    public static func of(nodeName: String) -> String {
        guard let at = nodeName.firstIndex(of: "@") else { return nodeName }
        return String(nodeName[nodeName.index(after: at)...])
    }
}
