import CoreMetrics
import Foundation
import Prometheus

/// The Prometheus registry behind swift-metrics: a `PrometheusCollectorRegistry`, the
/// `PrometheusMetricsFactory` over it with celery-exporter's histogram buckets, and the text the
/// /metrics endpoint serves.
///
/// Lovage's own metrics are made with this factory explicitly (so tests can use a private
/// registry); `bootstrapMetricsSystem()` also makes it swift-metrics' global backend, so
/// metrics that code embedding the worker emits through `Metrics` appear on the same endpoint.
public final class MetricsRegistry: Sendable {
    public let prometheus: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    public init() {
        prometheus = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: prometheus)
        factory.valueHistogramBuckets = [
            MetricNames.taskRuntime: MetricNames.runtimeBuckets,
            MetricNames.taskQueueWaitTime: MetricNames.queueWaitBuckets,
            MetricNames.prefetchWait: MetricNames.queueWaitBuckets,
        ]
        self.factory = factory
    }

    /// Makes this registry swift-metrics' backend for the process (once; swift-metrics refuses a
    /// second bootstrap).
    public func bootstrapMetricsSystem() { MetricsSystem.bootstrap(factory) }

    /// The registry in Prometheus' text format (0.0.4), families sorted by name and series by
    /// labels: swift-prometheus emits them in its dictionaries' order, which changes from one
    /// process to the next.
    public func exposition() -> String { ExpositionOrder.sorted(prometheus.emitToString()) }
}

/// Sorting Prometheus' text format without changing what it says.
enum ExpositionOrder {
    /// Families (a `# HELP`/`# TYPE` header and its samples) sorted by name; within a family the
    /// series sorted by their first line. A histogram's series is its `_bucket` lines through its
    /// `_count` line, kept together and in order.
    static func sorted(_ text: String) -> String {
        struct Family { var name: String; var header: [Substring] = []; var series: [[Substring]] = [] }
        var families: [Family] = []
        var open: [Substring] = []
        var isHistogram = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                let name = parts.count > 2 ? String(parts[2]) : ""
                if families.last?.name != name {
                    if !open.isEmpty, !families.isEmpty { families[families.count - 1].series.append(open) }
                    open = []
                    families.append(Family(name: name))
                }
                if parts.count > 3, parts[1] == "TYPE" { isHistogram = parts[3] == "histogram" }
                families[families.count - 1].header.append(line)
                continue
            }
            guard !families.isEmpty else { continue }
            open.append(line)
            let metric = line.prefix { $0 != "{" && $0 != " " }
            if !isHistogram || metric.hasSuffix("_count") {
                families[families.count - 1].series.append(open)
                open = []
            }
        }
        if !open.isEmpty, !families.isEmpty { families[families.count - 1].series.append(open) }
        var out = ""
        for family in families.sorted(by: { $0.name < $1.name }) {
            for line in family.header { out += line + "\n" }
            for series in family.series.sorted(by: { ($0.first ?? "") < ($1.first ?? "") }) {
                for line in series { out += line + "\n" }
            }
        }
        return out
    }
}
