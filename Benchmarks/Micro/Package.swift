// swift-tools-version: 6.1
// The micro-benchmark suites, a package of their own so that package-benchmark and its
// dependencies stay out of the main package. Run them with Benchmarks/micro-benchmarks.sh.
import PackageDescription

/// Every suite is an executable in Benchmarks/<Name>/ (where package-benchmark's plugin looks for
/// them), built by the plugin that generates its `main`.
func suite(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Benchmark", package: "benchmark"), "MallocGate"] + dependencies,
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "LovageMicroBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Lovage", path: "../.."),
        // MallocInterposer counts every malloc of the benchmark process (LD_PRELOAD on Linux).
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The one configuration every suite uses: which metric is gated and with what tolerance.
        // The system jemalloc (libjemalloc-dev): every suite's allocator, as in the lovage executable.
        .systemLibrary(name: "CJemallocAllocator", path: "Sources/CJemallocAllocator"),
        .target(name: "MallocGate", dependencies: [.product(name: "Benchmark", package: "benchmark"), "CJemallocAllocator"]),
        suite("CeleryWireBenchmarks", [.product(name: "CeleryWire", package: "Lovage")]),
        suite("WorkerCoreBenchmarks", [.product(name: "WorkerCore", package: "Lovage")]),
        suite("SimulationBenchmarks", [
            .product(name: "Simulation", package: "Lovage"),
            .product(name: "Scenarios", package: "Lovage"),
        ]),
        suite("RedisClientBenchmarks", [
            .product(name: "RedisClient", package: "Lovage"),
            .product(name: "PrivateRedis", package: "Lovage"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
