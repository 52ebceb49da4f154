import ArgumentParser
import Foundation
import LiveWorker
import RedisClient

/// Kombu's transport options for every command that talks to a broker (worker, enqueue, inspect,
/// control, status, beat, record, run --broker), so a Sentinel URL or a socket timeout works the
/// same everywhere. Flags win over the environment; the environment is Lovage's JSON variable or
/// Dify's Sentinel variables (api/configs/middleware: CELERY_USE_SENTINEL, CELERY_SENTINEL_*,
/// which Dify's ext_celery.py turns into the same transport options).
struct BrokerConnectionOptions: ParsableArguments {
    @Option(name: .customLong("broker-transport-options"),
            help: ArgumentHelp("Celery's broker_transport_options as JSON, e.g. '{\"master_name\": \"mymaster\", \"socket_timeout\": 5}' (default: LOVAGE_BROKER_TRANSPORT_OPTIONS).",
                               valueName: "json"))
    var brokerTransportOptions: String?

    @Option(name: .customLong("result-backend-transport-options"),
            help: ArgumentHelp("result_backend_transport_options as JSON (default: LOVAGE_RESULT_BACKEND_TRANSPORT_OPTIONS, else the broker's).",
                               valueName: "json"))
    var resultBackendTransportOptions: String?

    init() {}

    /// The broker's transport options: the flag, else LOVAGE_BROKER_TRANSPORT_OPTIONS, else Dify's
    /// Sentinel variables, else Kombu's defaults.
    func brokerOptions(environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> KombuTransportOptions {
        if let text = brokerTransportOptions { return try Self.parse(text, what: "--broker-transport-options") }
        if let text = env["LOVAGE_BROKER_TRANSPORT_OPTIONS"] { return try Self.parse(text, what: "LOVAGE_BROKER_TRANSPORT_OPTIONS") }
        return try Self.difySentinelOptions(env)
    }

    func backendOptions(environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> KombuTransportOptions {
        if let text = resultBackendTransportOptions { return try Self.parse(text, what: "--result-backend-transport-options") }
        if let text = env["LOVAGE_RESULT_BACKEND_TRANSPORT_OPTIONS"] {
            return try Self.parse(text, what: "LOVAGE_RESULT_BACKEND_TRANSPORT_OPTIONS")
        }
        return try brokerOptions(environment: env)
    }

    /// The broker URL text with its transport options applied (socket timeouts, Sentinel).
    func brokerURL(_ text: String, environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> RedisURL {
        try Self.refuseTLS(env)
        let url = try ParsableCommandURL.parse(text, what: "broker")
        do { return try brokerOptions(environment: env).applied(to: url, what: "broker") } catch let error as TransportOptionsError {
            throw ValidationError(error.message)
        }
    }

    func backendURL(_ text: String, environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> RedisURL {
        let url = try ParsableCommandURL.parse(text, what: "result backend")
        do { return try backendOptions(environment: env).applied(to: url, what: "result backend") } catch let error as TransportOptionsError {
            throw ValidationError(error.message)
        }
    }

    private static func parse(_ text: String, what: String) throws -> KombuTransportOptions {
        do {
            let options = try KombuTransportOptions.parse(text, what: what)
            for key in options.ignoredKeys {
                FileHandle.standardError.write(Data("warning: \(what): \(key) has no effect in Lovage (ignored)\n".utf8))
            }
            return options
        } catch { throw ValidationError(error.message) }
    }

    /// Dify's variables: CELERY_USE_SENTINEL=true with CELERY_SENTINEL_MASTER_NAME, _PASSWORD and
    /// _SOCKET_TIMEOUT (seconds; Dify's default 0.1).
    static func difySentinelOptions(_ env: [String: String]) throws -> KombuTransportOptions {
        var options = KombuTransportOptions()
        guard ["true", "1", "yes", "on"].contains(env["CELERY_USE_SENTINEL"]?.lowercased() ?? "") else { return options }
        guard let name = env["CELERY_SENTINEL_MASTER_NAME"], !name.isEmpty else {
            throw ValidationError("CELERY_USE_SENTINEL is on but CELERY_SENTINEL_MASTER_NAME is empty: name the master the sentinels monitor")
        }
        options.sentinel.masterName = name
        if let password = env["CELERY_SENTINEL_PASSWORD"], !password.isEmpty { options.sentinel.password = password }
        if let text = env["CELERY_SENTINEL_SOCKET_TIMEOUT"], !text.isEmpty {
            guard let seconds = Double(text), seconds > 0 else {
                throw ValidationError("CELERY_SENTINEL_SOCKET_TIMEOUT must be a number of seconds above 0, got \(text)")
            }
            options.sentinel.socketTimeoutSeconds = seconds
        }
        return options
    }

    /// Dify's BROKER_USE_SSL: hiredis 0.14 (Debian 12's) has no TLS, so a TLS broker is refused
    /// up front rather than connected to in clear text (docs/broker.md).
    static func refuseTLS(_ env: [String: String]) throws {
        if ["true", "1", "yes", "on"].contains(env["BROKER_USE_SSL"]?.lowercased() ?? "") {
            throw ValidationError("BROKER_USE_SSL is on, but this Lovage build has no TLS (the system hiredis 0.14 is built without it): use redis:// on a trusted network or a TLS tunnel such as stunnel or spiped to the broker, and unset BROKER_USE_SSL")
        }
    }
}

/// URL parsing with the command line's error type (shared with `Lovage.redisURL`).
enum ParsableCommandURL {
    static func parse(_ text: String, what: String) throws -> RedisURL {
        do { return try RedisURL.parse(text) } catch { throw ValidationError("\(what) URL: \(error)") }
    }
}
