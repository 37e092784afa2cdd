package dev.tandem.cli.demo;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every request's latency and outcome, by application version: per step of the upgrade (for the report) and
 * per second (for the live line). HdrHistogram keeps the percentiles exact enough at any rate.
 */
final class Metrics {
    private static final long MAX_NANOS = TimeUnit.MINUTES.toNanos(10);

    /** One version's requests in one step. */
    static final class VersionStats {
        final Histogram latency = new ConcurrentHistogram(MAX_NANOS, 3);
        final LongAdder requests = new LongAdder();
        final LongAdder failures = new LongAdder();
    }

    /** One step of the upgrade. */
    static final class Step {
        final String name;
        final long start = System.nanoTime();
        volatile long end;
        final Map<String, VersionStats> versions = new ConcurrentHashMap<>();
        final AtomicLong lockWaits = new AtomicLong();
        volatile double backfillRowsPerSecond;

        Step(String name) {
            this.name = name;
        }

        VersionStats version(String v) {
            return versions.computeIfAbsent(v, k -> new VersionStats());
        }
    }

    private final List<Step> steps = new ArrayList<>();
    private volatile Step current = new Step("start");
    private final Map<String, Recorder> live = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> liveFailures = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> errorSamples = new ConcurrentLinkedQueue<>();
    final LongAdder totalFailures = new LongAdder();

    synchronized Step begin(String name) {
        finish();
        current = new Step(name);
        steps.add(current);
        return current;
    }

    synchronized void finish() {
        if (current.end == 0) current.end = System.nanoTime();
    }

    Step current() {
        return current;
    }

    synchronized List<Step> steps() {
        return List.copyOf(steps);
    }

    void record(String version, long nanos, Exception failure) {
        Step step = current;
        VersionStats s = step.version(version);
        s.requests.increment();
        s.latency.recordValue(Math.min(nanos, MAX_NANOS));
        live.computeIfAbsent(version, v -> new Recorder(3)).recordValue(Math.min(nanos, MAX_NANOS));
        if (failure != null) {
            s.failures.increment();
            totalFailures.increment();
            liveFailures.computeIfAbsent(version, v -> new LongAdder()).increment();
            String message = String.valueOf(failure.getMessage()).lines().findFirst().orElse("");
            if (errorSamples.size() < 10) errorSamples.add("[" + step.name + ", version " + version + "] " + message);
        }
    }

    /** The last interval's figures per version, for the live line; resets the interval. */
    Map<String, String> liveLine(double seconds) {
        Map<String, String> out = new TreeMap<>();
        for (var e : live.entrySet()) {
            Histogram h = e.getValue().getIntervalHistogram();
            long failures = liveFailures.computeIfAbsent(e.getKey(), k -> new LongAdder()).sumThenReset();
            if (h.getTotalCount() == 0 && failures == 0) continue;
            out.put(e.getKey(), String.format("%4.0f req/s, %d failed, p50 %.1f ms, p99 %.1f ms",
                    h.getTotalCount() / seconds, failures, ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99))));
        }
        return out;
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
