// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Lovage",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lovage", targets: ["lovage"]),
        .library(name: "CeleryWire", targets: ["CeleryWire"]),
        .library(name: "WorkerCore", targets: ["WorkerCore"]),
        .library(name: "Simulation", targets: ["Simulation"]),
        .library(name: "Scenarios", targets: ["Scenarios"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Workload", targets: ["Workload"]),
        // For the package-benchmark suites in Benchmarks/Micro (a package of their own).
        .library(name: "RedisClient", targets: ["RedisClient"]),
        .library(name: "PrivateRedis", targets: ["PrivateRedis"]),
        .library(name: "LiveWorker", targets: ["LiveWorker"]),
        .library(name: "RemoteControl", targets: ["RemoteControl"]),
        .library(name: "LovageLogging", targets: ["LovageLogging"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // /metrics: swift-metrics as the API, swift-prometheus as its backend, FlyingFox (no NIO) to serve it.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swhitty/FlyingFox.git", from: "0.27.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // Celery protocol v2 messages, Kombu envelopes and result documents (Foundation allowed).
        .target(name: "CeleryWire"),
        // The system hiredis 0.14 (libhiredis-dev); linked by the module map, not pkg-config.
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis"),
        // A small blocking Redis client: URLs, connections, commands, pipelines.
        .target(name: "RedisClient", dependencies: ["CHiredis"]),
        // A private redis-server on a free loopback port: `lovage run --mode redis`'s broker, and the tests'.
        .target(name: "PrivateRedis", dependencies: ["RedisClient"]),
        // The system jemalloc 5.3 (libjemalloc-dev): linked into the executable, it is its allocator.
        .systemLibrary(name: "CJemalloc", path: "Sources/CJemalloc"),
        // ppoll(2) with a microsecond timeout, which Swift's Glibc module does not expose.
        .target(name: "CPrecisePoll"),
        // swift-log's handler for every command: Celery's line format or JSON lines, on stderr.
        .target(name: "LovageLogging", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // The live driver: Kombu's transport and Celery's result backend on real Redis, the pools.
        .target(name: "LiveWorker", dependencies: ["CeleryWire", "WorkerCore", "RedisClient", "RemoteControl", "CJemalloc", "CPrecisePoll", "LovageLogging", .product(name: "Logging", package: "swift-log"),
                                                 .product(name: "DequeModule", package: "swift-collections")]),
        // The sans-IO worker: no clock, randomness, I/O or Foundation (a test enforces it).
        .target(
            name: "WorkerCore",
            dependencies: [
                "CeleryWire",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // Scenario files (YAML) to validated `Scenario` values.
        .target(name: "Scenarios", dependencies: ["WorkerCore", "CeleryWire", "Schedules", .product(name: "Yams", package: "Yams")]),
        // The fleet scalers without I/O: the policies (KEDA, HPA, queue latency) and the controller
        // that turns one poll's readings into worker starts, warm stops and kills for either driver.
        .target(name: "FleetControl", dependencies: ["CeleryWire", "WorkerCore", "Scenarios"]),
        // Run metrics, summaries and assertion checks shared by every driver.
        .target(
            name: "Reports",
            dependencies: ["WorkerCore", "Scenarios", "Schedules", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        // What both drivers share about the load: the seeded arrival process, the task mix, body
        // durations and fates, and the arrival plan a real run publishes (no clock, no I/O).
        .target(name: "Workload", dependencies: ["CeleryWire", "WorkerCore", "Scenarios", "Schedules"]),
        // The deterministic, clock-driven simulation driver.
        .target(
            name: "Simulation",
            dependencies: [
                "CeleryWire", "WorkerCore", "Scenarios", "Reports", "Workload", "FleetControl", "Schedules",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            // The simulator decides on one thread (its figure thread touches only its own state
            // and the chunks handed to it under a lock); dynamic exclusivity checks on its class state cost
            // a tenth of its run time and find nothing the static checks do not.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        // `lovage explore`, `replay` and `shrink`: many seeds with swarm testing, invariants, stories
        // from the trace, and greedy shrinking of a failing scenario file.
        .target(
            name: "Exploration",
            dependencies: ["Scenarios", "Simulation", "Reports", "WorkerCore", .product(name: "Yams", package: "Yams")]
        ),
        // A recorded Celery fleet: its format (gzip-member JSON lines), writer, reader and decoded form.
        // The system zlib (zlib1g-dev): the recording's gzip members.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "FleetRecording", dependencies: ["CeleryWire", "CZlib"]),
        // `lovage record`: events, queue lengths, keyspace pushes and fleet surveys of a live broker.
        .target(name: "FleetRecorder", dependencies: ["FleetRecording", "CeleryWire", "RedisClient", "RemoteControl", .product(name: "Logging", package: "swift-log")]),
        // Prometheus metrics: the metric definitions (celery-exporter's names and Lovage's own), the
        // registry bootstrap, the /metrics server, the worker's observer and `lovage exporter`.
        .target(
            name: "WorkerMetrics",
            dependencies: [
                "LiveWorker", "FleetRecorder", "FleetRecording", "CeleryWire", "RedisClient", "RemoteControl", "WorkerCore",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // From a recording to a scenario's parts: clocks, attempts, publish times, fleet, tasks, load.
        .target(
            name: "Calibration",
            dependencies: ["FleetRecording", "CeleryWire", "Scenarios", "WorkerCore", "Simulation", "Reports", .product(name: "Yams", package: "Yams")]
        ),
        // Celery beat without a clock: crontab and interval due times in a timezone, the tick, entries.
        .target(name: "Schedules", dependencies: ["CeleryWire"]),
        // `lovage beat`'s Redis side: the one-sender lock, the atomic send and the entries' last runs.
        .target(name: "LiveBeat", dependencies: ["CeleryWire", "RedisClient", "Schedules", .product(name: "Logging", package: "swift-log")]),
        // `lovage inspect|control|status`: Kombu's pidbox client (request, collect replies) for any Celery fleet.
        .target(name: "RemoteControl", dependencies: ["CeleryWire", "RedisClient", "WorkerCore"]),
        // `lovage run --mode redis`: a scenario on real Redis with real worker processes.
        .target(
            name: "RealRun",
            dependencies: ["CeleryWire", "WorkerCore", "Scenarios", "Reports", "Workload", "LiveWorker", "RedisClient", "PrivateRedis", "FleetControl", "RemoteControl", "Schedules", "LovageLogging", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "lovage",
            dependencies: [
                "Simulation", "Scenarios", "Reports", "WorkerCore", "CeleryWire", "LiveWorker", "RedisClient", "RealRun", "Exploration", "Workload", "RemoteControl",
                "FleetRecording", "FleetRecorder", "Calibration", "Schedules", "LiveBeat", "WorkerMetrics", "LovageLogging", "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "CeleryWireTests", dependencies: ["CeleryWire"]),
        .testTarget(name: "WorkerCoreTests", dependencies: ["WorkerCore", "CeleryWire"]),
        .testTarget(name: "ScenariosTests", dependencies: ["Scenarios", "Schedules", "CeleryWire"]),
        .testTarget(name: "RedisClientTests", dependencies: ["RedisClient", "PrivateRedis"]),
        .testTarget(
            name: "LiveWorkerTests",
            dependencies: ["LiveWorker", "RedisClient", "PrivateRedis", "CeleryWire", "WorkerCore", "LovageLogging", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "BrokerConformanceTests",
            dependencies: ["Simulation", "LiveWorker", "RedisClient", "PrivateRedis", "CeleryWire", "WorkerCore"]
        ),
        .testTarget(name: "ExplorationTests", dependencies: ["Exploration", "Simulation", "Scenarios", "Reports", "WorkerCore"]),
        .testTarget(name: "FleetControlTests", dependencies: ["FleetControl", "Simulation", "RealRun", "Scenarios", "WorkerCore", "CeleryWire"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "Workload", "Scenarios", "Reports", "WorkerCore", "CeleryWire", "Schedules", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .testTarget(name: "RemoteControlTests", dependencies: ["RemoteControl", "CeleryWire", "RedisClient", "PrivateRedis"]),
        .testTarget(
            name: "CalibrationTests",
            dependencies: ["Calibration", "FleetRecording", "FleetRecorder", "CeleryWire", "Scenarios", "RedisClient", "PrivateRedis", "LovageLogging", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "SchedulesTests", dependencies: ["Schedules", "CeleryWire"], exclude: ["Fixtures"]),
        .testTarget(name: "LiveBeatTests", dependencies: ["LiveBeat", "RedisClient", "PrivateRedis", "Schedules", "CeleryWire"]),
        .testTarget(
            name: "WorkerMetricsTests",
            dependencies: ["WorkerMetrics", "LiveWorker", "WorkerCore", "CeleryWire", .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        .testTarget(name: "LovageLoggingTests", dependencies: ["LovageLogging", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "RealRunTests", dependencies: ["RealRun", "Workload", "LiveWorker", "Scenarios", "WorkerCore", "CeleryWire", "Reports", "Schedules"]),
    ],
    swiftLanguageModes: [.v6]
)
