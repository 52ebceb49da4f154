import ArgumentParser
import Foundation

/// The options `lovage plan` and `lovage explore` share for running their sweep on a Celery fleet.
struct BrokerSweepOptions: ParsableArguments {
    @Option(name: .customLong("broker"), help: "Run the sweep on the `lovage worker` processes of this Redis broker (redis://HOST:PORT/DB) instead of locally: each run is published as a lovage.simulate task.")
    var broker: String?

    @Option(name: .customLong("result-backend"), help: "With --broker: the result backend URL (default: the broker URL).")
    var resultBackend: String?

    @Option(name: .customLong("queue"), help: "With --broker: the queue the tasks go to; start the workers with -Q on it.")
    var queue: String = "lovage.sweep"

    @Option(name: .customLong("stall-timeout"), help: "With --broker: fail when tasks wait on the queue this long with no result coming in and the queue not shrinking (no worker consumes it): 60s, 5m; a bare number is seconds.",
            transform: DurationArgument.parse)
    var stallTimeout: DurationArgument = DurationArgument(.seconds(60))

    @OptionGroup var connection: BrokerConnectionOptions

    /// Refuses the --broker-only options without --broker, and a bad URL, before anything runs.
    func check() throws {
        if broker == nil {
            guard resultBackend == nil else { throw PlanError("--result-backend needs --broker") }
            return
        }
        guard !queue.isEmpty else { throw PlanError("--queue: give a queue name") }
        guard stallTimeout.span.microseconds > 0 else { throw PlanError("--stall-timeout must be longer than 0s") }
        _ = try settings(showProgress: false)
    }

    /// The sweep's connection settings, or nil to run locally.
    func settings(showProgress: Bool) throws -> BrokerSweep.Settings? {
        guard let broker else { return nil }
        do {
            return BrokerSweep.Settings(brokerURL: try connection.brokerURL(broker),
                                        backendURL: try connection.backendURL(resultBackend ?? broker),
                                        transport: try connection.brokerOptions().transport,
                                        queue: queue, stallSeconds: stallTimeout.seconds, showProgress: showProgress)
        } catch {
            throw PlanError("--broker \(broker): \(error)")
        }
    }
}
