package dev.tandem.bench;

import org.HdrHistogram.Histogram;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An application's steady load while a schema change runs: {@code clients} connections together start a fixed number
 * of transactions per second on a fixed schedule (open loop, as independent users arrive), whatever the database is
 * doing. A transaction's latency counts from when it was due, so the time it spent queued behind a blocked one is not
 * hidden (no coordinated omission), and it belongs to the phase that was current when it was due.
 *
 * <p>Unlike {@link ClientLoad}, an error is a figure, not the end of the run: the transaction is rolled back and
 * counted, its client reconnects if the connection broke, and the load goes on. A client can be told to reconnect
 * through another data source ({@link #connect}), as an application instance does when it is upgraded.
 */
final class SteadyLoad {
    /** One transaction's statements (not its commit, which the load does). */
    interface Transaction {
        /**
         * @return what the transaction wrote, told whether its commit succeeded; never null
         * @throws SQLException the load rolls back and counts an error
         */
        Outcome run(Connection c, int client, ThreadLocalRandom random) throws SQLException;
    }

    /** What a transaction does once its commit is known. */
    interface Outcome {
        void committed();

        /** The commit failed: the server may or may not have committed it. */
        void uncertain();
    }

    /** Latencies (ns, from the due time) and errors of the transactions due during one phase. */
    static final class Phase {
        final String name;
        private final long from;
        private final Histogram latency = new Histogram(HIGHEST_NANOS, 3);
        private final AtomicLong errors = new AtomicLong();
        /** Error kind (code and first message) to count, in the order first seen. */
        private final Map<String, Long> errorKinds = new LinkedHashMap<>();
        private volatile long until = Long.MAX_VALUE;

        private Phase(String name, long from) {
            this.name = name;
            this.from = from;
        }

        /** Consecutive phases as one: latencies merged, errors summed, from the first's start to the last's end. */
        static Phase merge(String name, List<Phase> phases) {
            Phase all = new Phase(name, phases.isEmpty() ? 0 : phases.get(0).from);
            all.until = phases.isEmpty() ? 0 : phases.get(phases.size() - 1).until;
            for (Phase p : phases) {
                all.latency.add(p.latency());
                all.errors.addAndGet(p.errors());
                p.errorKinds().forEach((k, n) -> all.errorKinds.merge(k, n, Long::sum));
            }
            return all;
        }

        synchronized Histogram latency() {
            return latency.copy();
        }

        long errors() {
            return errors.get();
        }

        synchronized Map<String, Long> errorKinds() {
            return new LinkedHashMap<>(errorKinds);
        }

        double seconds() {
            return (until - from) / 1e9;
        }

        private synchronized void record(long nanos) {
            latency.recordValue(Math.min(HIGHEST_NANOS, nanos));
        }

        private void error(Throwable e) {
            errors.incrementAndGet();
            String kind = e instanceof SQLException s
                    ? "error " + s.getErrorCode() + " (" + s.getSQLState() + "): " + Report.firstLine(s.getMessage())
                    : e.getClass().getSimpleName() + ": " + Report.firstLine(e.getMessage());
            synchronized (this) {
                errorKinds.merge(kind, 1L, Long::sum);
            }
        }
    }

    /** Transactions slower than this are recorded as this. */
    private static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final Transaction transaction;
    private final List<Phase> phases = new CopyOnWriteArrayList<>();
    private final DataSource[] sources;
    private final List<Thread> workers = new ArrayList<>();
    private volatile long until = Long.MAX_VALUE;

    /**
     * Starts the clients; the first phase is {@code firstPhase}.
     *
     * @param perSecond transactions per second, all clients together
     */
    SteadyLoad(int clients, double perSecond, DataSource source, String firstPhase, Transaction transaction) {
        if (clients < 1 || perSecond <= 0) throw new IllegalArgumentException("clients and rate must be positive");
        this.transaction = transaction;
        this.sources = new DataSource[clients];
        java.util.Arrays.fill(sources, source);
        phase(firstPhase);
        long interval = (long) (1e9 * clients / perSecond);
        for (int i = 0; i < clients; i++) {
            int client = i;
            Thread t = new Thread(() -> loop(client, interval), "steady-load-" + i);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
    }

    int clients() {
        return sources.length;
    }

    /** Transactions due from now on belong to a new phase called {@code name}. */
    void phase(String name) {
        long now = System.nanoTime();
        if (!phases.isEmpty()) phases.get(phases.size() - 1).until = now;
        phases.add(new Phase(name, now));
    }

    /** Client {@code client} closes its connection and opens one from {@code source} before its next transaction. */
    void connect(int client, DataSource source) {
        synchronized (sources) {
            sources[client] = source;
        }
    }

    /**
     * Stops starting transactions, waits until every transaction due so far has run, closes the connections.
     *
     * @return every phase in order, the last one ending now
     */
    List<Phase> stop() throws InterruptedException {
        long now = System.nanoTime();
        phases.get(phases.size() - 1).until = now;
        until = now;
        for (Thread t : workers) t.join();
        return List.copyOf(phases);
    }

    private void loop(int client, long interval) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Connection c = null;
        DataSource connectedTo = null;
        // Clients start their schedules spread over one interval, not all at once.
        long due = System.nanoTime() + random.nextLong(interval);
        while (due < until) {
            long now = System.nanoTime();
            if (due > now) LockSupport.parkNanos(due - now);
            Phase phase = phaseAt(due);
            boolean committing = false;
            Outcome outcome = null;
            try {
                DataSource source = source(client);
                if (c == null || source != connectedTo) {
                    close(c);
                    c = null;
                    c = source.getConnection();
                    c.setAutoCommit(false);
                    connectedTo = source;
                }
                outcome = transaction.run(c, client, random);
                committing = true;
                c.commit();
                outcome.committed();
                phase.record(System.nanoTime() - due);
            } catch (Exception e) {
                phase.error(e);
                if (committing) outcome.uncertain();
                c = rollback(c);
            }
            due += interval;
        }
        close(c);
    }

    private DataSource source(int client) {
        synchronized (sources) {
            return sources[client];
        }
    }

    private Phase phaseAt(long due) {
        for (int i = phases.size() - 1; i > 0; i--) {
            if (phases.get(i).from <= due) return phases.get(i);
        }
        return phases.get(0);
    }

    /** Rolls back; a connection that cannot even do that is closed, and the next transaction opens a new one. */
    private static Connection rollback(Connection c) {
        if (c == null) return null;
        try {
            c.rollback();
            return c;
        } catch (SQLException e) {
            close(c);
            return null;
        }
    }

    private static void close(Connection c) {
        if (c == null) return;
        try {
            c.close();
        } catch (SQLException ignored) {
            // Already broken: nothing to release.
        }
    }
}
