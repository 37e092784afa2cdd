package dev.tandem.bench;

import org.HdrHistogram.Histogram;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * N application clients, one connection each, running single statements in autocommit as fast as they can:
 * first a warm-up that is not recorded (JIT, pgjdbc switching to server-side prepared statements, caches), then a
 * measured window. Each client records the latency of every statement it starts inside the window into
 * histograms of its own (no shared counter to contend on); they are merged afterwards.
 */
final class ClientLoad {
    /** Up to this many kinds of statement are told apart (e.g. reads and updates), each with its own histogram. */
    static final int KINDS = 2;

    /** One client's work, prepared once per connection and then called in a loop. */
    interface Client {
        /** Runs one statement; returns its kind, {@code 0 <= kind < KINDS}. */
        int step(ThreadLocalRandom random) throws SQLException;
    }

    interface ClientFactory {
        Client open(Connection c) throws SQLException;
    }

    /** Decides how long the measured window lasts: returns when recording should stop. */
    interface Window {
        void await() throws Exception;
    }

    /** @param byKind one histogram per kind of statement; {@code latency} is all of them merged */
    record Result(Histogram latency, List<Histogram> byKind, double seconds) {
        long ops() {
            return latency.getTotalCount();
        }

        double opsPerSecond() {
            return seconds > 0 ? ops() / seconds : Double.NaN;
        }
    }

    /** Statements slower than this are recorded as this; no statement here should come near it. */
    private static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(5);


    /**
     * The first measurement of a process would otherwise also pay for the JVM's JIT compiling the client path; it
     * is usually the baseline, so the bias would flatter whatever is measured after it. It warms up five times longer.
     */
    private static final AtomicBoolean firstMeasurement = new AtomicBoolean(true);

    private ClientLoad() {
    }

    static Result run(DataSource ds, int threads, Duration warmup, Duration duration, ClientFactory factory) throws Exception {
        return run(ds, threads, warmup, () -> Thread.sleep(duration.toMillis()), 0, factory);
    }

    /**
     * @param opsPerSecond 0: each client runs its next statement as soon as the last one returned (closed loop, the
     *                     server saturated); otherwise the clients together start this many statements per second on
     *                     a fixed schedule (open loop, as independent users arrive), and a statement's latency counts
     *                     from when it was due, so time spent queued behind a slow one is not hidden. A statement
     *                     is in the window when it started (or was due) inside it; in the open loop the clients go on
     *                     after the window until every statement due inside it has run, so none of the slowest is lost
     */
    static Result run(DataSource ds, int threads, Duration warmup, Window window, double opsPerSecond, ClientFactory factory)
            throws Exception {
        // Recorded: statements started (or due) in [from, until). Both are "never" until the window opens and closes.
        AtomicLong from = new AtomicLong(Long.MAX_VALUE);
        AtomicLong until = new AtomicLong(Long.MAX_VALUE);
        CountDownLatch ready = new CountDownLatch(threads);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Histogram[]> histograms = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Histogram[] h = new Histogram[KINDS];
            for (int k = 0; k < KINDS; k++) h[k] = new Histogram(HIGHEST_NANOS, 3);
            histograms.add(h);
            Thread t = new Thread(() -> {
                try (Connection c = ds.getConnection()) {
                    c.setAutoCommit(true);
                    Client client = factory.open(c);
                    ready.countDown();
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    long interval = opsPerSecond > 0 ? (long) (1e9 * threads / opsPerSecond) : 0;
                    // Clients start their schedules spread over one interval, not all at once.
                    long due = System.nanoTime() + (interval > 0 ? random.nextLong(interval) : 0);
                    while (errors.isEmpty()) {
                        long t0 = System.nanoTime();
                        if (interval > 0) {
                            if (due >= until.get()) break;
                            if (due > t0) java.util.concurrent.locks.LockSupport.parkNanos(due - t0);
                            t0 = due;
                            due += interval;
                        } else if (t0 >= until.get()) {
                            break;
                        }
                        int kind = client.step(random);
                        if (t0 >= from.get() && t0 < until.get()) {
                            h[kind].recordValue(Math.min(HIGHEST_NANOS, System.nanoTime() - t0));
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                    ready.countDown();
                }
            }, "bench-client-" + i);
            workers.add(t);
            t.start();
        }
        long start;
        long end;
        try {
            ready.await();
            Thread.sleep(warmup.toMillis() * (firstMeasurement.getAndSet(false) ? 5 : 1));
            start = System.nanoTime();
            from.set(start);
            if (errors.isEmpty()) window.await();
        } finally {
            end = System.nanoTime();
            until.set(end);
            for (Thread t : workers) t.join();
        }
        if (!errors.isEmpty()) {
            Throwable first = errors.peek();
            throw new IllegalStateException("a benchmark client failed: " + first.getMessage(), first);
        }
        Histogram all = new Histogram(HIGHEST_NANOS, 3);
        List<Histogram> byKind = new ArrayList<>();
        for (int k = 0; k < KINDS; k++) {
            Histogram merged = new Histogram(HIGHEST_NANOS, 3);
            for (Histogram[] h : histograms) merged.add(h[k]);
            byKind.add(merged);
            all.add(merged);
        }
        return new Result(all, byKind, (end - start) / 1e9);
    }
}
