import WorkerCore

extension Scenario {
    /// The same scenario run `1 / factor` times faster: every duration (run length, drain, phases,
    /// bursts, a trace's rows, faults, task bodies, countdowns, expiries, time limits, visibility timeout, worker
    /// start-up, autoscaler keepalive, retry delays, fleet scaler intervals and delays, restart
    /// delays, a schedule's intervals and beat timings — but not its crontabs, which name wall-clock
    /// minutes) is multiplied by `factor` and every rate (arrivals, task rate limits) is
    /// divided by it. Utilisation (arrival rate × body time ÷ slots) and the number of tasks stay
    /// the same, so a one-hour scenario can run for real in six minutes at `factor` 0.1.
    ///
    /// Broker latency (the scenario's and a `broker_latency` fault's) is not scaled: it stands for
    /// the fixed cost of a real task (a round trip to Redis, a process hand-off), which does not
    /// shrink in a real run either. So a very small factor makes short bodies relatively slower:
    /// keep scaled body times well above a millisecond.
    public func timeScaled(by factor: Double) -> Scenario {
        guard factor != 1 else { return self }
        func scaled(_ span: TimeSpan) -> TimeSpan { TimeSpan(microseconds: Int64((Double(span.microseconds) * factor).rounded())) }
        func scaledRetry(_ policy: RetryPolicy) -> RetryPolicy {
            var copy = policy
            copy.defaultRetryDelay = scaled(policy.defaultRetryDelay)
            copy.backoffMax = scaled(policy.backoffMax)
            return copy
        }
        func scaledOptions(_ options: TaskOptions) -> TaskOptions {
            var copy = options
            copy.timeLimit = options.timeLimit.map(scaled)
            copy.softTimeLimit = options.softTimeLimit.map(scaled)
            copy.retry = scaledRetry(options.retry)
            copy.rateLimit = options.rateLimit.map(scaledRate)
            return copy
        }
        // A rate limit's spacing between starts shrinks with the durations; its text says the new rate.
        func scaledRate(_ limit: RateLimit) -> RateLimit {
            let interval = TimeSpan(microseconds: max(1, scaled(limit.interval).microseconds))
            return RateLimit(interval: interval, text: "\(1_000_000 / Double(interval.microseconds))/s")
        }
        var copy = self
        copy.duration = scaled(duration)
        copy.drain = scaled(drain)
        copy.invariants.drainWithin = invariants.drainWithin.map(scaled)
        copy.broker.visibilityTimeout = scaled(broker.visibilityTimeout)
        copy.fleet = fleet.map { group in
            var group = group
            group.childStartup = scaled(group.childStartup)
            if let keepalive = group.autoscale?.keepalive { group.autoscale?.keepalive = scaled(keepalive) }
            group.taskDefaults = scaledOptions(group.taskDefaults)
            group.restartDelay = scaled(group.restartDelay)
            if var scaler = group.scaler {
                scaler.pollingInterval = scaled(scaler.pollingInterval)
                scaler.scaleDownStabilization = scaled(scaler.scaleDownStabilization)
                scaler.startupDelay = scaled(scaler.startupDelay)
                scaler.shutdownGrace = scaled(scaler.shutdownGrace)
                switch scaler.policy {
                case .queueLength(let length, let activation, let cooldown):
                    scaler.policy = .queueLength(listLength: length, activationListLength: activation, cooldownPeriod: scaled(cooldown))
                case .hpa(let target, let tolerance, let upWindow, let pods):
                    scaler.policy = .hpa(targetBacklogPerReplica: target, tolerance: tolerance, scaleUpStabilization: scaled(upWindow),
                                         scaleUpPods: pods)
                case .queueLatency(let threshold, let jump, let delay):
                    scaler.policy = .queueLatency(threshold: scaled(threshold), jump: jump, scaleDownDelay: scaled(delay))
                }
                group.scaler = scaler
            }
            return group
        }
        copy.tasks = tasks.map { spec in
            var spec = spec
            spec.countdown = spec.countdown.map(scaled)
            spec.expires = spec.expires.map(scaled)
            spec.options.timeLimit = spec.options.timeLimit.map(scaled)
            spec.options.softTimeLimit = spec.options.softTimeLimit.map(scaled)
            spec.options.retry = spec.options.retry.map(scaledRetry)
            spec.options.rateLimit = spec.options.rateLimit.map(scaledRate)
            spec.body.duration = spec.body.duration.scaled(by: factor)
            return spec
        }
        copy.load.phases = load.phases.map { phase in
            var phase = phase
            phase.duration = scaled(phase.duration)
            phase.rateFrom = phase.rateFrom / factor
            phase.rateTo = phase.rateTo / factor
            return phase
        }
        copy.load.trace?.offsets = (load.trace?.offsets ?? []).map(scaled)
        copy.load.bursts = load.bursts.map { burst in
            var burst = burst
            burst.at = scaled(burst.at)
            return burst
        }
        copy.faults = faults.map { fault in
            var fault = fault
            fault.start = scaled(fault.start)
            fault.end = fault.end.map(scaled)
            switch fault.kind {
            case .restartBeat(let number, let downFor): fault.kind = .restartBeat(number, downFor: scaled(downFor))
            case .startBeat(let number, var beat):
                beat.clockOffsetMicros = scaled(TimeSpan(microseconds: beat.clockOffsetMicros)).microseconds
                fault.kind = .startBeat(number, beat)
            default: break
            }
            return fault
        }
        copy.schedule = schedule.map { $0.timeScaled(by: factor) }
        // Operator actions happen at scaled times; a time limit they set shrinks with the bodies
        // and a rate limit they set speeds up with the arrivals, as the task's own options do.
        copy.controls = controls.map { scheduled in
            var scheduled = scheduled
            scheduled.at = scaled(scheduled.at)
            if case let .control(.timeLimit(task, soft, hard)) = scheduled.command {
                scheduled.command = .control(.timeLimit(taskName: task, soft: soft.map { $0 * factor },
                                                        hard: hard.map { $0 * factor }))
            }
            if case let .control(.rateLimit(task, rate)) = scheduled.command, let limit = RateLimit.parse(rate) {
                scheduled.command = .control(.rateLimit(taskName: task, rate: scaledRate(limit).text))
            }
            return scheduled
        }
        return copy
    }
}

extension DurationDistribution {
    /// Every time in the distribution multiplied by `factor`.
    public func scaled(by factor: Double) -> DurationDistribution {
        func scaled(_ span: TimeSpan) -> TimeSpan { TimeSpan(microseconds: Int64((Double(span.microseconds) * factor).rounded())) }
        switch self {
        case .constant(let value): return .constant(scaled(value))
        case .uniform(let low, let high): return .uniform(min: scaled(low), max: scaled(high))
        case .exponential(let mean): return .exponential(mean: scaled(mean))
        case .logNormal(let median, let p99): return .logNormal(median: scaled(median), p99: scaled(p99))
        case .empirical(let values): return .empirical(values.map(scaled))
        }
    }
}
