package dev.tandem.engine;

import dev.tandem.TandemException;
import dev.tandem.TandemListener;
import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.ReplicaLagMeter;
import dev.tandem.state.BackfillState;
import dev.tandem.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Fills the new-form columns of existing rows in batches. Each batch is one short transaction that also moves the
 * checkpoint, so a killed backfill continues where the last committed batch ended.
 *
 * <p>Rows a writer of either version touched since expand are flagged done by the sync trigger and skipped: the
 * batch's {@code WHERE done IS NOT TRUE} is re-checked against the latest row version under READ COMMITTED, so a
 * backfill never overwrites what an application wrote. Rows inserted after the backfill started are the
 * trigger's job: the walk stops where the table ended when it began.
 *
 * <p>Where the dialect can, a table is walked page by page in physical order, which reads it as a plain UPDATE
 * does; otherwise (or with {@link Settings#byKey}) by key. A page walk is sound because every row version written
 * since expand is flagged done, so the rows left to fill stay on the pages they were on, unless the table is
 * rewritten: then the walk starts over by key.
 */
public final class Backfiller {
    private static final Logger log = LoggerFactory.getLogger(Backfiller.class);

    /**
     * @param maxReplicaLag pause while any replica is further behind than this
     * @param replicas      replicas to watch directly, each measured by the dialect's {@link ReplicaLagMeter}; with
     *                      none, the primary's view of its streaming replicas is used
     * @param niceRatio     while other sessions keep the database busy, sleep this many times each batch's duration
     *                      (see {@link Yield}); 0: never
     * @param byKey         walk tables by key even where their pages could be walked
     * @param workers       key ranges filled at once, each on a connection of its own ({@link ParallelRanges}); a
     *                      page walk is one worker's
     */
    public record Settings(Duration targetBatch, int minBatch, int maxBatch, Duration batchStatementTimeout,
                           Duration retryDeadline, Duration maxReplicaLag, List<javax.sql.DataSource> replicas,
                           double niceRatio, boolean byKey, int workers) {
    }

    private final Dialect dialect;
    /** One for the whole run: it may remember what it wrote on the primary at earlier checks. */
    private final ReplicaLagMeter lagMeter;
    private final StateStore state;
    private final Settings settings;
    private final TandemListener listener;
    private final Supplier<Connection> connections;
    private final Reconnected reconnected;

    /** Called after the backfill lost its connection and got a new one: the server may have restarted. */
    @FunctionalInterface
    public interface Reconnected {
        void run() throws SQLException;
    }

    public Backfiller(Dialect dialect, StateStore state, Settings settings, TandemListener listener,
                      Supplier<Connection> connections, Reconnected reconnected) {
        this.dialect = dialect;
        this.lagMeter = dialect.replicaLagMeter(state.stateSchema(), state.schema());
        this.state = state;
        this.settings = settings;
        this.listener = listener;
        this.connections = connections;
        this.reconnected = reconnected;
    }

    public void run(Plan plan) throws SQLException {
        try (BackfillHeartbeat alive = BackfillHeartbeat.start(dialect, state, plan.migration(), connections)) {
            for (Plan.BackfillTask task : plan.backfill()) {
                runTask(plan, task);
            }
        }
    }

    private void runTask(Plan plan, Plan.BackfillTask task) throws SQLException {
        Connection c = connections.get();
        ParallelRanges parallel = settings.workers() > 1
                ? new ParallelRanges(dialect, connections, settings.workers(), settings.batchStatementTimeout(),
                this::fewerWorkers) : null;
        try {
            start(c, plan, task);
            boolean skipTriggers = maySkipTriggers(c, plan, task);
            // Read once per walk (and per reconnect), so that no batch reads the catalog.
            Plan.BackfillTask writes = dialect.backfillAsWritten(c, plan.schema(), task);
            BackfillState s = find(c, plan, task);
            int batch = s.batchSize() > 0 ? s.batchSize() : Math.max(settings.minBatch(), Math.min(1000, settings.maxBatch()));
            long done = s.rowsDone();
            List<String> last = s.lastKey();
            long started = System.nanoTime();
            long doneAtStart = done;
            long deadline = 0;
            RateLimiter limiter = new RateLimiter();
            Yield yield = new Yield(settings.niceRatio());
            // Set when the connection was lost: reconnect and reload the checkpoint inside the retry loop, so that a
            // server still starting up is retried like any other failure.
            boolean resume = false;
            if (parallel != null && s.walk() == BackfillState.Walk.PAGES && !s.done()) {
                // Said, not silently ignored: the option was asked for and does nothing to this table.
                String what = "backfill of " + task.table() + " walks page by page, which is one worker's: --workers"
                        + " applies to a walk by key (--by-key)";
                log.info(what);
                listener.message(what);
            }
            while (!s.done()) {
                try {
                    if (resume) {
                        closeQuietly(c);
                        c = reconnect(deadline);
                        reconnected.run();
                        start(c, plan, task);
                        skipTriggers = maySkipTriggers(c, plan, task);
                        writes = dialect.backfillAsWritten(c, plan.schema(), task);
                        s = find(c, plan, task);
                        last = s.lastKey();
                        done = s.rowsDone();
                        // The walk may have started over meanwhile (a rewrite, --by-key): rates count from here.
                        doneAtStart = done;
                        started = System.nanoTime();
                        resume = false;
                        if (s.done()) break;
                    }
                    StateStore.BackfillControl control = state.control(c, plan.migration());
                    if (yield.enabled()) sampleTraffic(c, task, yield);
                    if (waitIfHeld(c, plan, control, yield)) continue;
                    int lanes = parallel != null && s.walk() == BackfillState.Walk.KEY ? Math.max(1, parallel.workers()) : 1;
                    if (control.maxRowsPerSecond() != null) {
                        // Never more rows in one step than a second's allowance, so a new rate takes effect at once.
                        batch = Math.max(1, Math.min(batch, control.maxRowsPerSecond() / lanes));
                    }
                    long t0 = System.nanoTime();
                    Batch b = batch(c, plan, writes, s, last, batch, skipTriggers, done, lanes > 1 ? parallel : null);
                    if (b.rewritten()) {
                        String what = "backfill of " + task.table() + ": the table was rewritten (VACUUM FULL, CLUSTER or"
                                + " the like) while it was walked page by page; walking it again by key from the start,"
                                + " skipping the rows already filled";
                        log.warn(what);
                        listener.message(what);
                        s = walkByKeyFromStart(c, plan, task);
                        last = null;
                        done = s.rowsDone();
                        doneAtStart = done;
                        started = System.nanoTime();
                        continue;
                    }
                    long ms = Math.max(1, (System.nanoTime() - t0) / 1_000_000);
                    done += b.walked();
                    last = b.lastKey() != null ? b.lastKey() : last;
                    deadline = 0;
                    if (b.finished()) break;
                    limiter.pace(b.walked(), control.maxRowsPerSecond());
                    sleep(yield.after(Duration.ofNanos(System.nanoTime() - t0)));
                    batch = nextBatchSize(batch, ms);
                    double seconds = (System.nanoTime() - started) / 1e9;
                    listener.backfillProgress(plan.migration(), task.table(), done, b.total(),
                            seconds > 0 ? (done - doneAtStart) / seconds : 0);
                } catch (SQLException e) {
                    rollbackQuietly(c);
                    boolean lost = dialect.isConnectionLost(e) || isClosed(c);
                    if (!lost && !dialect.isRetryable(e)) {
                        throw new TandemException(TandemException.Kind.DATABASE, "backfill of " + task.table()
                                + " failed: " + Names.forUser(e.getMessage()) + "\nThe last committed batch is checkpointed;"
                                + " fix the cause (a row the expressions cannot convert: correct the row through either"
                                + " version) and run backfill again, or `tandem rollback`, correct the migration file and"
                                + " expand again.", e);
                    }
                    if (deadline == 0) deadline = System.nanoTime() + settings.retryDeadline().toNanos();
                    if (System.nanoTime() > deadline) {
                        throw new TandemException(TandemException.Kind.DATABASE, "backfill of " + task.table()
                                + " kept failing for " + settings.retryDeadline().toSeconds() + " s: " + Names.forUser(e.getMessage()), e);
                    }
                    log.warn("backfill of {}: {} — retrying", task.table(), e.getMessage());
                    sleep(Executor.backoff(3));
                    resume |= lost;
                }
            }
            listener.backfillProgress(plan.migration(), task.table(), done, done, 0);
            state.setActivity(c, plan.migration(), "running", "finished " + task.table());
        } finally {
            if (parallel != null) parallel.close();
            closeQuietly(c);
        }
    }

    /**
     * Holds the backfill while it is paused from another terminal or a replica lags too far; says why in the
     * state schema, where {@code status} reads it. @return true when it waited (check again before the next batch)
     */
    private boolean waitIfHeld(Connection c, Plan plan, StateStore.BackfillControl control, Yield yield) throws SQLException {
        String reason = null;
        String status = null;
        if (control.paused()) {
            status = "paused";
            reason = "paused with `tandem backfill --pause`; resume with `tandem backfill --resume`";
        } else {
            String lag = replicaLag(c);
            if (lag != null) {
                status = "throttled";
                reason = lag;
            }
        }
        announceHold(plan, status, reason);
        announceRate(plan, control.maxRowsPerSecond());
        if (status == null) {
            // Yielding is not holding: the backfill goes on, at a share of the time, and status says so.
            recordActivity(c, plan, "running", yield.busy() ? yield.reason() : null);
            return false;
        }
        recordActivity(c, plan, status, reason);
        sleep(Duration.ofMillis(500));
        return true;
    }

    /** The hold last told to the listener (paused, throttled), or null while the backfill runs. */
    private String announcedHold;

    /**
     * Tells the backfill's own output once when it starts or stops holding, not at every check (twice a second):
     * whoever watches it learns why it stands still, and how to get it going, without a screen full of repeats.
     */
    private void announceHold(Plan plan, String status, String reason) {
        if (java.util.Objects.equals(status, announcedHold)) return;
        String what;
        if ("paused".equals(status)) {
            what = "paused — run tandem backfill --resume";
        } else if (status != null) {
            what = status + " — " + reason;
        } else {
            what = "running again" + ("paused".equals(announcedHold) ? " (resumed)" : "");
        }
        announcedHold = status;
        listener.message(plan.migration() + ": backfill " + what);
        log.info("backfill of {}: {}", plan.migration(), what);
    }

    /** The rate limit last told to the listener; {@code rateAnnounced} false: none told yet. */
    private Integer announcedRate;
    private boolean rateAnnounced;

    /** Says in the backfill's own output that it is rate limited (or no longer), when that starts or changes. */
    private void announceRate(Plan plan, Integer rate) {
        if (rateAnnounced && java.util.Objects.equals(rate, announcedRate)) return;
        if (rate != null) {
            listener.message(plan.migration() + ": backfill rate limited to " + rate + " rows/s"
                    + " (change it with tandem backfill --rate N, lift it with --rate none)");
        } else if (rateAnnounced) {
            listener.message(plan.migration() + ": backfill rate limit lifted");
        }
        announcedRate = rate;
        rateAnnounced = true;
    }

    private void fewerWorkers(String what) {
        log.warn("backfill: {}", what);
        listener.message("backfill: " + what);
    }

    private long lastTrafficLogAt;

    private void sampleTraffic(Connection c, Plan.BackfillTask task, Yield yield) throws SQLException {
        boolean was = yield.busy();
        yield.sample(dialect.otherActiveSessions(c, Names.TOOL_APPLICATION_NAME));
        long now = System.nanoTime();
        if (log.isDebugEnabled() && now - lastTrafficLogAt > 2_000_000_000L) {
            // What the yield decision rests on, for whoever tunes --nice-ratio or wonders why the backfill slowed.
            log.debug("backfill of {}: about {} other sessions active (smoothed), {}", task.table(),
                    String.format(java.util.Locale.ROOT, "%.2f", yield.active()), yield.busy() ? "yielding" : "full speed");
            lastTrafficLogAt = now;
        }
        if (yield.busy() == was) return;
        String what = yield.busy() ? yield.reason() : "the database is quiet again: full speed";
        listener.message("backfill of " + task.table() + ": " + what);
        log.info("backfill of {}: {}", task.table(), what);
    }

    private String lastStatus;
    private long lastActivityAt;

    /**
     * Tells the state schema what the backfill is doing: at once when that changes, otherwise at most every two
     * seconds, so that {@code status} sees it alive without a write per batch.
     */
    private void recordActivity(Connection c, Plan plan, String status, String reason) throws SQLException {
        long now = System.nanoTime();
        // The reason's presence is part of the state: "running" and "running, yielding" are told apart at once.
        String key = status + (reason == null ? "" : ":why");
        if (key.equals(lastStatus) && now - lastActivityAt < 2_000_000_000L) return;
        state.setActivity(c, plan.migration(), status, reason);
        lastStatus = key;
        lastActivityAt = now;
    }

    private String lastLag;
    private long lastLagCheckAt;

    /**
     * {@link #replicaTooFarBehind}, asked at most twice a second: with short batches, asking before every batch
     * would open twenty connections a second to each replica named.
     */
    private String replicaLag(Connection primary) throws SQLException {
        long now = System.nanoTime();
        if (lastLagCheckAt != 0 && lastLag == null && now - lastLagCheckAt < 500_000_000L) return null;
        lastLag = replicaTooFarBehind(primary);
        lastLagCheckAt = now;
        return lastLag;
    }

    /** @return why the backfill must wait for replication, or null when every replica is close enough */
    private String replicaTooFarBehind(Connection primary) throws SQLException {
        long limit = settings.maxReplicaLag().toMillis();
        if (settings.replicas().isEmpty()) {
            Duration lag = dialect.replicationLagSeenByPrimary(primary);
            return lag.toMillis() > limit ? "a streaming replica is " + lag.toMillis() + " ms behind (limit " + limit + " ms)" : null;
        }
        lagMeter.mark(primary);
        for (int i = 0; i < settings.replicas().size(); i++) {
            String replica = "replica " + (i + 1);
            Connection r;
            try {
                r = settings.replicas().get(i).getConnection();
            } catch (SQLException e) {
                return replica + " cannot be reached to measure its lag: " + e.getMessage();
            }
            ReplicaLagMeter.Lag lag;
            try (r) {
                lag = lagMeter.lag(primary, r);
            } catch (SQLException e) {
                return replica + "'s lag cannot be read: " + e.getMessage();
            }
            if (lag.behind() != null && lag.behind().toMillis() > limit) {
                return replica + " " + (lag.why() != null ? lag.why() : "is " + lag.behind().toMillis() + " ms behind")
                        + " (limit " + limit + " ms)";
            }
        }
        return null;
    }

    /** Keeps the average rate under a limit by sleeping after a batch that got ahead of it. */
    private static final class RateLimiter {
        private long windowStart = System.nanoTime();
        private long rows;
        private Integer lastRate;
        private long lastCall = System.nanoTime();

        void pace(long walked, Integer maxRowsPerSecond) {
            long now = System.nanoTime();
            boolean changed = !java.util.Objects.equals(maxRowsPerSecond, lastRate);
            boolean gap = now - lastCall > 1_000_000_000L;
            lastRate = maxRowsPerSecond;
            lastCall = now;
            if (maxRowsPerSecond == null || maxRowsPerSecond < 1) {
                windowStart = now;
                rows = 0;
                return;
            }
            if (changed || gap) {
                // Count from here: time spent at a lower rate, paused, throttled or reconnecting is no credit (a
                // newcomer raised 5,000 to 10,000 rows/s and got 40,000 rows in 0.44 s).
                windowStart = now;
                rows = 0;
            }
            rows += walked;
            long due = windowStart + (long) (rows * 1e9 / maxRowsPerSecond);
            long ahead = due - System.nanoTime();
            if (ahead > 0) sleep(Duration.ofNanos(ahead));
            if (System.nanoTime() - windowStart > 10_000_000_000L) {
                windowStart = System.nanoTime();
                rows = 0;
            }
        }
    }

    /** The server may be restarting: keep trying until the retry deadline. */
    private Connection reconnect(long deadline) {
        for (int attempt = 1; ; attempt++) {
            try {
                return connections.get();
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new TandemException(TandemException.Kind.DATABASE, "backfill lost its connection and could not"
                            + " reconnect: " + e.getMessage() + "\nThe last committed batch is checkpointed; run backfill again.", e);
                }
                log.warn("backfill: reconnecting (attempt {}): {}", attempt, e.getMessage());
                sleep(Executor.backoff(Math.min(attempt, 6)));
            }
        }
    }

    private int nextBatchSize(int current, long ms) {
        double factor = (double) settings.targetBatch().toMillis() / ms;
        factor = Math.max(0.5, Math.min(2.0, factor));
        return (int) Math.max(settings.minBatch(), Math.min(settings.maxBatch(), current * factor));
    }

    private void start(Connection c, Plan plan, Plan.BackfillTask task) throws SQLException {
        c.setAutoCommit(true);
        // Session settings, once per connection rather than once per batch.
        dialect.setTimeouts(c, Duration.ofSeconds(5), settings.batchStatementTimeout());
        BackfillState started = find(c, plan, task);
        if (started != null) {
            if (settings.byKey() && started.walk() == BackfillState.Walk.PAGES && !started.done()) {
                // Asked for after a page walk began (say, on learning the table gets writes with triggers off).
                walkByKeyFromStart(c, plan, task);
                log.info("backfill of {}: walking by key from the start, as asked (--by-key), not on by page", task.table());
            }
            return;
        }
        long total = dialect.estimateRows(c, plan.schema(), task.table());
        Dialect.Pages pages = settings.byKey() ? null : dialect.pagesToWalk(c, plan.schema(), task.table());
        if (pages != null) {
            // Batches are sized in rows; the rows per page when the walk begins turn them into page counts.
            log.info("backfill of {} page by page: {} pages, about {} rows", task.table(), pages.end(), total);
            state.startBackfill(c, plan.migration(), task.table(), BackfillState.Walk.PAGES, pages.end() == 0 ? null
                    : List.of(Long.toString(pages.end()), pages.storage(), Double.toString(pages.rowsPerPage())), total);
            return;
        }
        List<String> upper = dialect.highestKey(c, plan.schema(), task.table(), task.keyColumns());
        log.info("backfill of {} by {} up to key {}: about {} rows", task.table(), task.keyColumns(), upper, total);
        state.startBackfill(c, plan.migration(), task.table(), BackfillState.Walk.KEY, upper, total);
    }

    /**
     * Starts a page walk over by key: after a rewrite (VACUUM FULL, CLUSTER, pg_repack), rows it had not reached may
     * sit on pages it has passed, and keys do not move in a rewrite; or because the key walk was asked for.
     */
    private BackfillState walkByKeyFromStart(Connection c, Plan plan, Plan.BackfillTask task) throws SQLException {
        List<String> upper = dialect.highestKey(c, plan.schema(), task.table(), task.keyColumns());
        state.walkByKeyFromStart(c, plan.migration(), task.table(), upper);
        return find(c, plan, task);
    }

    /** Asked again after a reconnect: the server (or the role) may be another one. */
    private boolean maySkipTriggers(Connection c, Plan plan, Plan.BackfillTask task) throws SQLException {
        boolean skip = dialect.backfillMaySkipTriggers(c, plan.schema(), task, Names.syncTrigger(plan.migration()));
        log.info(skip ? "backfill of {}: its writes skip row triggers (none but Tandem's own would react to them)"
                : "backfill of {}: its writes fire the table's triggers (a user trigger or a foreign key reacts to them,"
                + " or this role may not set session_replication_role)", task.table());
        return skip;
    }

    private BackfillState find(Connection c, Plan plan, Plan.BackfillTask task) throws SQLException {
        return state.backfills(c, plan.migration()).stream().filter(b -> b.table().equals(task.table())).findFirst().orElse(null);
    }

    /**
     * A batch's rows walked, where it ended, whether it was the last, and the table's rows as now estimated; or that
     * a page walk found the table rewritten.
     */
    private record Batch(long walked, List<String> lastKey, boolean finished, boolean rewritten, long total) {
        static final Batch REWRITTEN = new Batch(0, null, false, true, 0);

        Batch withTotal(long total) {
            return new Batch(walked, lastKey, finished, rewritten, total);
        }
    }

    /** {@code doneBefore}: the rows counted before this batch, which the checkpoint adds the batch's rows to. */
    /** @param parallel the workers that fill this step's key ranges at once, or null: this connection fills one */
    private Batch batch(Connection c, Plan plan, Plan.BackfillTask task, BackfillState s, List<String> last, int size,
                        boolean skipTriggers, long doneBefore, ParallelRanges parallel) throws SQLException {
        c.setAutoCommit(false);
        Batch b = s.walk() == BackfillState.Walk.PAGES ? pageBatch(c, plan, task, s.upperKey(), last, size, skipTriggers)
                : parallel != null ? parallelKeyBatch(c, plan, task, s.upperKey(), last, size, skipTriggers, parallel)
                : keyBatch(c, plan, task, s.upperKey(), last, size, skipTriggers);
        if (!b.rewritten()) {
            b = b.withTotal(total(s, b, doneBefore + b.walked()));
            state.checkpoint(c, plan.migration(), task.table(), b.lastKey(), b.walked(), b.total(), b.finished(), size);
        }
        c.commit();
        c.setAutoCommit(true);
        return b;
    }

    /**
     * The table's rows, corrected as the walk goes: the catalog's estimate at the start may be far off (reltuples is
     * as old as the last ANALYZE). When the walk ends, the rows it counted are the real number. A page walk knows the
     * pages left and the rows it found per page so far; a key walk knows no better than the estimate until it ends.
     */
    private static long total(BackfillState s, Batch b, long done) {
        if (b.finished()) return done;
        if (s.walk() == BackfillState.Walk.PAGES) {
            long end = Long.parseLong(s.upperKey().get(0));
            long walkedPages = Long.parseLong(b.lastKey().get(0));
            return done + Math.round((end - walkedPages) * ((double) done / walkedPages));
        }
        return Math.max(done, s.rowsTotal());
    }

    private Batch keyBatch(Connection c, Plan plan, Plan.BackfillTask task, List<String> upper, List<String> last,
                           int size, boolean skipTriggers) throws SQLException {
        Dialect.BatchResult r = dialect.backfillBatch(c, plan.schema(), task, last, upper, size, skipTriggers);
        return new Batch(r.walked(), r.lastKey(), r.last(), false, 0);
    }

    /**
     * The next ranges, found on the walk's connection and filled by the workers, each committed before the checkpoint
     * (in this connection's transaction) moves past them all.
     */
    private Batch parallelKeyBatch(Connection c, Plan plan, Plan.BackfillTask task, List<String> upper, List<String> last,
                                   int size, boolean skipTriggers, ParallelRanges parallel) throws SQLException {
        List<ParallelRanges.Range> ranges = parallel.next(c, plan.schema(), task, last, upper, size);
        long walked = parallel.fill(plan.schema(), task, ranges, size, skipTriggers);
        ParallelRanges.Range end = ranges.get(ranges.size() - 1);
        return new Batch(walked, end.to(), end.last(), false, 0);
    }

    /** {@code upper}: the page count, the storage and the rows per page when the walk began; {@code last}: the next page. */
    private Batch pageBatch(Connection c, Plan plan, Plan.BackfillTask task, List<String> upper, List<String> last,
                            int size, boolean skipTriggers) throws SQLException {
        long end = Long.parseLong(upper.get(0));
        double perPage = Double.parseDouble(upper.get(2));
        long from = last == null ? 0 : Long.parseLong(last.get(0));
        long to = Math.min(end, from + Math.max(1, Math.round(size / perPage)));
        Dialect.PageBatch r = dialect.backfillPages(c, plan.schema(), task, from, to, upper.get(1), skipTriggers);
        if (r.rewritten()) return Batch.REWRITTEN;
        // Rows counted for progress and the rate limit: the rows this batch filled, a real number (the rows per page
        // when the walk began are only an estimate, and a count from it could pass the rows that exist). Rows an
        // application wrote since expand are not counted: the sync trigger filled them.
        return new Batch(r.filled(), List.of(Long.toString(to)), to >= end, false, 0);
    }

    private static boolean isClosed(Connection c) {
        try {
            return c.isClosed() || !c.isValid(2);
        } catch (SQLException e) {
            return true;
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            if (!c.getAutoCommit()) c.rollback();
            c.setAutoCommit(true);
        } catch (SQLException ignored) {
            // Connection gone: the loop reconnects.
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // Nothing to do.
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TandemException(TandemException.Kind.DATABASE, "interrupted");
        }
    }
}
