package dev.tandem.cli.demo;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Every request's latency and outcome, by application version and step of the upgrade. The step's counters are
 * the only count there is: the live line shows what they gained since the last line, and the report their totals,
 * so the two always add up. A request counts in the step in which it finished.
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
        final LongAdder shed = new LongAdder();
        final AtomicLong lockWaits = new AtomicLong();
        /** Whether Tandem ran DDL in this step, so that lockWaits means something. */
        volatile boolean ranDdl;
        volatile double backfillRowsPerSecond;

        Step(String name) {
            this.name = name;
        }

        VersionStats version(String v) {
            return versions.computeIfAbsent(v, k -> new VersionStats());
        }
    }

    /** What one live line shows: per version, the requests and failures since the previous line, and latency. */
    record Interval(String step, double seconds, Map<String, String> byVersion, long shed) {
        boolean isEmpty() {
            return byVersion.isEmpty() && shed == 0;
        }
    }

    private final List<Step> steps = new ArrayList<>();
    private Step current = new Step("start");
    /**
     * Recording takes the read lock (many at once), moving to the next step and taking a live line the write lock:
     * no request can be counted in a step after that step's last line was taken.
     */
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<String, Recorder> live = new ConcurrentHashMap<>();
    private final Map<String, long[]> shown = new HashMap<>();
    private long shownShed;
    private long lastLine = System.nanoTime();
    final ConcurrentLinkedQueue<String> errorSamples = new ConcurrentLinkedQueue<>();

    /** Starts the next step; returns the last live line of the step it ends. */
    Interval begin(String name) {
        lock.writeLock().lock();
        try {
            Interval last = takeInterval();
            if (current.end == 0) current.end = System.nanoTime();
            current = new Step(name);
            steps.add(current);
            shown.clear();
            shownShed = 0;
            return last;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Ends the last step; returns its last live line. */
    Interval finish() {
        lock.writeLock().lock();
        try {
            Interval last = takeInterval();
            if (current.end == 0) current.end = System.nanoTime();
            // The nodes are closed by now; should anything still finish, it belongs to no step.
            current = new Step("after the last step");
            return last;
        } finally {
            lock.writeLock().unlock();
        }
    }

    Step current() {
        lock.readLock().lock();
        try {
            return current;
        } finally {
            lock.readLock().unlock();
        }
    }

    List<Step> steps() {
        lock.readLock().lock();
        try {
            return List.copyOf(steps);
        } finally {
            lock.readLock().unlock();
        }
    }

    void record(String version, long nanos, Exception failure) {
        lock.readLock().lock();
        try {
            Step step = current;
            VersionStats s = step.version(version);
            s.requests.increment();
            s.latency.recordValue(Math.min(nanos, MAX_NANOS));
            live.computeIfAbsent(version, v -> new Recorder(3)).recordValue(Math.min(nanos, MAX_NANOS));
            if (failure != null) {
                s.failures.increment();
                String message = String.valueOf(failure.getMessage()).lines().findFirst().orElse("");
                if (errorSamples.size() < 10) errorSamples.add("[" + step.name + ", version " + version + "] " + message);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A request the load balancer dropped: no node took it before its queue was full. */
    void shed() {
        lock.readLock().lock();
        try {
            current.shed.increment();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The current step's figures since the previous line. */
    Interval interval() {
        lock.writeLock().lock();
        try {
            return takeInterval();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private Interval takeInterval() {
        long now = System.nanoTime();
        double seconds = Math.max(1e-3, (now - lastLine) / 1e9);
        lastLine = now;
        Map<String, String> out = new TreeMap<>();
        for (var e : live.entrySet()) {
            Histogram h = e.getValue().getIntervalHistogram();
            VersionStats s = current.versions.get(e.getKey());
            if (s == null) continue;
            long[] before = shown.computeIfAbsent(e.getKey(), k -> new long[2]);
            long requests = s.requests.sum() - before[0];
            long failures = s.failures.sum() - before[1];
            before[0] += requests;
            before[1] += failures;
            if (requests == 0) continue;
            out.put(e.getKey(), String.format("%d req (%.0f/s), %d failed, p50 %.1f ms, p99 %.1f ms", requests,
                    requests / seconds, failures, ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99))));
        }
        long shed = current.shed.sum() - shownShed;
        shownShed += shed;
        return new Interval(current.name, seconds, out, shed);
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
