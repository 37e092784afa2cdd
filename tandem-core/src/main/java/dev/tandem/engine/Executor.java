package dev.tandem.engine;

import dev.tandem.TandemException;
import dev.tandem.TandemListener;
import dev.tandem.dialect.Dialect;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs the steps of a phase, never deciding what they are. Each step waits at most {@code lockTimeout} for its
 * lock, so the application's queries never queue behind it for longer; when it cannot get the lock it gives way
 * and tries again after a jittered, growing pause, until {@code retryDeadline}. After each step the phase's
 * checkpoint moves on — in the step's own transaction where it has one — so a crashed run resumes where it was.
 */
public final class Executor {
    private static final Logger log = LoggerFactory.getLogger(Executor.class);

    public record Settings(Duration lockTimeout, Duration statementTimeout, Duration retryDeadline) {
    }

    private final Dialect dialect;
    private final StateStore state;
    private final Settings settings;
    private final TandemListener listener;
    private final Dialect.Connections others;

    /** {@code others} opens a second connection of the same login, for steps that are watched while they wait. */
    public Executor(Dialect dialect, StateStore state, Settings settings, TandemListener listener,
                    Dialect.Connections others) {
        this.others = others;
        this.dialect = dialect;
        this.state = state;
        this.settings = settings;
        this.listener = listener;
    }

    /**
     * What the user can do when step {@code index} failed and rolled back: where the migration now stands (the
     * steps before it are done) and which command goes on from there.
     */
    @FunctionalInterface
    public interface Advice {
        String after(int index);
    }

    /** Runs the steps from {@code alreadyDone} on; the migration is in {@code phase} from the first step on. */
    public void run(Connection c, String migration, Phase phase, List<Step> steps, int alreadyDone, Advice advice)
            throws SQLException {
        run(c, migration, phase, steps, alreadyDone, alreadyDone, advice);
    }

    /**
     * Runs the steps from {@code alreadyDone} on, but records the migration as being in {@code phase} only from step
     * {@code enterPhaseAt} on, in that step's own transaction: the steps before it only check (they change nothing
     * either version relies on), so a failure there leaves the migration in the phase it was in. Before that step
     * no checkpoint is written; running the command again repeats those checks.
     */
    public void run(Connection c, String migration, Phase phase, List<Step> steps, int alreadyDone, int enterPhaseAt,
                    Advice advice) throws SQLException {
        listener.phaseStarted(migration, phase, steps.size(), alreadyDone);
        long phaseStart = System.nanoTime();
        for (int i = alreadyDone; i < steps.size(); i++) {
            Step step = steps.get(i);
            long start = System.nanoTime();
            boolean ran = runWithRetry(c, migration, phase, i, steps.size(), step, enterPhaseAt, advice);
            if (ran) {
                listener.stepFinished(migration, phase, i, steps.size(), step, Duration.ofNanos(System.nanoTime() - start));
            }
        }
        listener.phaseFinished(migration, phase, Duration.ofNanos(System.nanoTime() - phaseStart));
    }

    private boolean runWithRetry(Connection c, String migration, Phase phase, int index, int total, Step step,
                                 int enterPhaseAt, Advice advice) throws SQLException {
        long deadline = System.nanoTime() + settings.retryDeadline().toNanos();
        HeldBack heldBack = new HeldBack(migration, step);
        LockWaits waits = new LockWaits(step);
        for (int attempt = 1; ; attempt++) {
            boolean probe = waits.nextIsProbe();
            if (waits.firstWaitAfterProbes()) {
                // Said once per step: a queued lock request can make a transaction that read the table and now writes it
                // the deadlock victim (1213 on MariaDB), and whoever sees one in an application's log should find why here.
                String what = "'" + step.description() + "' did not get its table's lock in " + (attempt - 1)
                        + " tries without waiting over " + PROBING.toSeconds() + " s; from now on an attempt may wait for"
                        + " it up to " + settings.lockTimeout().toMillis() + " ms, and a transaction that read the table"
                        + " and then writes it while one waits can be chosen as a deadlock victim (1213)";
                log.info("{}: {}", migration, what);
                listener.message(migration + ": " + what);
            }
            try {
                return runOnce(c, migration, phase, index, total, step, enterPhaseAt, probe, attempt == 1);
            } catch (SQLException e) {
                rollbackQuietly(c);
                String reason = Names.forUser(dialect.describeError(e));
                if (!dialect.isRetryable(e)) {
                    state.history(autocommit(c), migration, phase.text, "step failed", step.description() + ": " + reason);
                    throw new TandemException(TandemException.Kind.DATABASE, "step " + (index + 1) + "/" + total + " of "
                            + phase + " (" + step.description() + ") failed and was rolled back: " + reason
                            + "\nSQL: " + step.sql() + "\n" + advice.after(index), e);
                }
                // The table's lock was taken. While long transactions are open, which may hold it, the step waits for
                // them by name and only probes for the lock (an in-place step every HELD_BACK_POLL; a catalog-only step
                // more often, as a probe queues no one for long); otherwise it retries after a pause.
                List<Dialect.OpenTransaction> open = dialect.longTransactions(autocommit(c), settings.lockTimeout());
                waits.heldBack(!open.isEmpty());
                Duration wait = open.isEmpty() || !inPlace(step) ? waits.pauseAfter(attempt) : HELD_BACK_POLL;
                if (System.nanoTime() + wait.toNanos() > deadline) {
                    if (!open.isEmpty()) {
                        String why = LongTransactions.describe(open, inPlace(step));
                        state.history(autocommit(c), migration, phase.text, "step not started", step.description() + ": " + why);
                        throw new TandemException(TandemException.Kind.REFUSED, "step " + (index + 1) + "/" + total + " of "
                                + phase + " (" + step.description() + ") was not started: after "
                                + settings.retryDeadline().toSeconds() + " s, " + why + ". Have the application end"
                                + " the transaction, or end the connection (" + LongTransactions.endThem(open) + "), then"
                                + " run the command again.\n" + advice.after(index), e);
                    }
                    throw new TandemException(TandemException.Kind.DATABASE, "step " + (index + 1) + "/" + total + " of "
                            + phase + " (" + step.description() + ") could not get its lock within "
                            + settings.retryDeadline().toSeconds() + " s (" + attempt + " attempts, each waiting at most "
                            + settings.lockTimeout().toMillis() + " ms, no transaction open longer than the long-transaction"
                            + " threshold was seen): the table was never free of other sessions' locks when an attempt came"
                            + (inPlace(step) && !dialect.hasBoundedInPlaceWait() ? "; an in-place step tries only without waiting (NOWAIT), and writers that"
                            + " run transactions back to back with no pause keep it from ever starting" : "")
                            + ". Run it again when the application is less busy, or pause its writers briefly.\n"
                            + advice.after(index), e);
                }
                if (!open.isEmpty()) {
                    heldBack.report(open, c, phase, inPlace(step));
                } else if (!probe) {
                    log.info("{}: lock not available for '{}' (attempt {}), retrying in {} ms: {}", migration,
                            step.description(), attempt, wait.toMillis(), e.getMessage());
                    listener.stepRetry(migration, step, attempt, wait, e.getMessage());
                } else {
                    log.debug("{}: lock probe {} for '{}' failed: {}", migration, attempt, step.description(), e.getMessage());
                }
                sleep(wait);
            }
        }
    }

    /**
     * How long the attempts of one step wait for its lock. Where the dialect has a {@linkplain Dialect#lockProbe lock
     * probe}, a catalog-only step first probes for {@link #PROBING} (jittered {@link #PROBE_PAUSE} apart), and after
     * that waits the full lock timeout only as often as the back-off allows, probing in between; while long
     * transactions are open it only probes. An in-place step does the same where the dialect can bound its wait
     * ({@link Dialect#hasBoundedInPlaceWait}). Other steps always wait the lock timeout (or NOWAIT where they are long).
     */
    private final class LockWaits {
        /** Whether the step probes at all (else every attempt waits the lock timeout). */
        private final boolean probes;
        private final boolean longStep;
        private long nextFullWaitAt;
        private int fullWaits;
        private boolean heldBack;
        private boolean lastWasFull;

        LockWaits(Step step) {
            this.longStep = step.mode() != Step.Mode.TRANSACTIONAL;
            this.probes = dialect.hasLockProbe() && (!longStep || (inPlace(step) && dialect.hasBoundedInPlaceWait()));
            this.nextFullWaitAt = System.nanoTime() + PROBING.toNanos();
        }

        boolean nextIsProbe() {
            lastWasFull = !probes || (!heldBack && System.nanoTime() >= nextFullWaitAt);
            if (probes && lastWasFull) fullWaits++;
            return !lastWasFull;
        }

        /** Whether the attempt about to run is the step's first that waits, after probes that all failed. */
        boolean firstWaitAfterProbes() {
            return probes && lastWasFull && fullWaits == 1;
        }

        void heldBack(boolean longTransactionsOpen) {
            heldBack = longTransactionsOpen;
        }

        Duration pauseAfter(int attempt) {
            if (!probes) {
                return backoff(attempt, dialect.longestRetryPause(longStep));
            }
            if (lastWasFull) {
                nextFullWaitAt = System.nanoTime() + backoff(fullWaits, dialect.longestRetryPause(false)).toNanos();
            }
            return Duration.ofMillis(PROBE_PAUSE.toMillis() / 5 + ThreadLocalRandom.current().nextLong(PROBE_PAUSE.toMillis() * 4 / 5 + 1));
        }
    }

    /**
     * How long a step only probes for its lock before it first waits the lock timeout. Long, because on MariaDB any
     * wait not granted at once makes every transaction caught between reading the table and writing it a deadlock
     * victim (MariaDbFactsTest.aWaitingCatalogChangeMakesATransactionThatReadTheTableTheDeadlockVictim); with one
     * statement per step, probes won within about a second under 2,800 read-then-write transactions/s (tested).
     */
    static final Duration PROBING = Duration.ofSeconds(5);

    /** The longest pause between two probes (the shortest is a fifth of it): 250 ms. */
    static final Duration PROBE_PAUSE = Duration.ofMillis(250);

    /**
     * How long a step held back by long transactions waits before it is tried again (NOWAIT: an attempt queues no one)
     * and, if its table is still taken, looks for them again.
     */
    static final Duration HELD_BACK_POLL = Duration.ofSeconds(1);

    /**
     * A step that rebuilds or builds in place and so takes the table's exclusive metadata lock at its start and end,
     * where the database has such steps (MariaDB's INPLACE and NOCOPY ALTERs; PostgreSQL's concurrent builds find no
     * long transactions to wait for: {@link Dialect#longTransactions}).
     */
    private static boolean inPlace(Step step) {
        return step.mode() != Step.Mode.TRANSACTIONAL
                && (step.effect() == Step.Effect.BUILD || step.effect() == Step.Effect.REWRITE);
    }

    /** Tells the listener (and the history, once) about the long transactions a step waits for, when they change. */
    private final class HeldBack {
        private final String migration;
        private final Step step;
        private final long since = System.nanoTime();
        private List<Long> lastConnections = List.of();
        private long lastTold;

        HeldBack(String migration, Step step) {
            this.migration = migration;
            this.step = step;
        }

        void report(List<Dialect.OpenTransaction> open, Connection c, Phase phase, boolean inPlace) throws SQLException {
            List<Long> connections = open.stream().map(Dialect.OpenTransaction::connection).toList();
            long now = System.nanoTime();
            if (connections.equals(lastConnections) && now - lastTold < Duration.ofSeconds(10).toNanos()) return;
            String why = LongTransactions.describe(open, inPlace) + "; the step starts once it ends, or sooner after "
                    + LongTransactions.endThem(open);
            if (lastConnections.isEmpty()) {
                state.history(autocommit(c), migration, phase.text, "step held back", step.description() + ": " + why);
            }
            log.info("{}: '{}' waits: {}", migration, step.description(), why);
            listener.stepHeldBack(migration, step, why, Duration.ofNanos(now - since));
            lastConnections = connections;
            lastTold = now;
        }
    }

    /** @return false when the step was found already done */
    private boolean runOnce(Connection c, String migration, Phase phase, int index, int total, Step step, int enterPhaseAt,
                            boolean probe, boolean firstAttempt) throws SQLException {
        boolean concurrent = step.mode() == Step.Mode.CONCURRENT;
        c.setAutoCommit(concurrent);
        // Steps that take only a weak lock (concurrent builds, validation scans) may wait as long as they need:
        // a waiting SHARE UPDATE EXCLUSIVE request does not hold up the application's reads and writes.
        boolean weak = step.mode() != Step.Mode.TRANSACTIONAL;
        dialect.setDdlTimeouts(c, weak ? Duration.ZERO : settings.lockTimeout(), weak ? Duration.ZERO : settings.statementTimeout());
        if (concurrent && step.repairIf() != null && query(c, step.repairIf(), step.skipParams())) {
            log.info("{}: removing what a failed attempt left: {}", migration, step.repair());
            execute(c, step.repair());
        }
        boolean skip = step.skipIf() != null && query(c, step.skipIf(), step.skipParams());
        if (skip) {
            listener.stepSkipped(migration, phase, index, total, step);
        } else {
            // Once per step: a step that probes for its lock makes dozens of attempts, and output that is not a terminal
            // printed the whole step line again for each.
            if (firstAttempt) listener.stepStarted(migration, phase, index, total, step);
            log.debug("{} {} step {}/{}: {}", migration, phase, index + 1, total, step.sql());
            executeStep(c, probe, step);
        }
        if (index == enterPhaseAt) state.setPhase(c, migration, phase);
        if (index >= enterPhaseAt) state.setStepsDone(c, migration, index + 1);
        if (!concurrent) c.commit();
        state.history(autocommit(c), migration, phase.text, skip ? "step skipped (already done)" : "step done", step.description());
        return !skip;
    }

    /**
     * The step's statement; a probe takes its lock at once or fails, and only that statement, not the checks and
     * bookkeeping around it, which wait as usual.
     */
    private void executeStep(Connection c, boolean probe, Step step) throws SQLException {
        if (!probe && inPlace(step) && dialect.hasBoundedInPlaceWait()) {
            // Its lock waits, at its start and its end, are bounded by the lock timeout; its work is not.
            dialect.executeWaitingForLock(c, step.sql(), settings.lockTimeout(), others);
            return;
        }
        if (!probe) {
            execute(c, step.sql());
            return;
        }
        dialect.setLockProbe(c);
        try {
            execute(c, step.sql());
        } finally {
            dialect.setDdlTimeouts(c, settings.lockTimeout(), settings.statementTimeout());
        }
    }

    private static Connection autocommit(Connection c) throws SQLException {
        if (!c.getAutoCommit()) {
            c.rollback();
            c.setAutoCommit(true);
        }
        return c;
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static boolean query(Connection c, String sql, List<String> params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) ps.setString(i + 1, params.get(i));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            if (!c.getAutoCommit()) c.rollback();
        } catch (SQLException ignored) {
            // The connection may be gone; the caller reports the original error.
        }
    }

    /** Jittered exponential back-off: 50 ms, 100 ms, … up to 5 s, each scaled by a random 50–100 %. */
    /** {@link #backoff(int)} with pauses of at most {@code longest}. */
    static Duration backoff(int attempt, Duration longest) {
        Duration d = backoff(attempt);
        return d.compareTo(longest) > 0 ? Duration.ofMillis((long) (longest.toMillis() * (0.5 + ThreadLocalRandom.current().nextDouble() * 0.5))) : d;
    }

    public static Duration backoff(int attempt) {
        long max = Math.min(5000, 50L << Math.min(attempt - 1, 10));
        return Duration.ofMillis((long) (max * (0.5 + ThreadLocalRandom.current().nextDouble() * 0.5)));
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TandemException(TandemException.Kind.DATABASE, "interrupted while waiting to retry");
        }
    }
}
