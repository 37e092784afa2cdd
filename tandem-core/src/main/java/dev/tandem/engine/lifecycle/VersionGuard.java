package dev.tandem.engine.lifecycle;

import dev.tandem.IgnoredSessions;
import dev.tandem.TandemListener;
import dev.tandem.state.Phase;
import dev.tandem.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import static dev.tandem.engine.lifecycle.Refusals.refused;

/**
 * Keeps a phase from breaking a running application: rollback drops the new version's schema, contract what every
 * other version uses. Instances are known from their connections and heartbeats, never assumed gone.
 */
public final class VersionGuard {
    private static final Logger log = LoggerFactory.getLogger(VersionGuard.class);
    /** A heartbeat younger than this means the instance is alive (three of the client's default 10 s beats). */
    private static final Duration HEARTBEAT_FRESH = Duration.ofSeconds(30);

    private final StateStore state;
    private final TandemListener listener;

    public VersionGuard(StateStore state, TandemListener listener) {
        this.state = state;
        this.listener = listener;
    }

    /** The application instances alive now, of every version. */
    public List<StateStore.Instance> liveInstances(Connection c) throws SQLException {
        return state.liveInstances(c, HEARTBEAT_FRESH);
    }

    /**
     * Rollback breaks the new version: verify, do not assume, that none of its instances still runs, and that no
     * session that could be one (an unattributed session, {@link StateStore#unattributedSessions}) is connected.
     *
     * @param force   roll back anyway, with a warning and a line in the history
     * @param ignored unattributed sessions to leave out (each is written to the history); every other check still runs
     * @throws dev.tandem.TandemException {@link dev.tandem.TandemException.Kind#REFUSED} while one runs, while an
     *                                    unattributed session not ignored is connected, or while this login cannot see
     *                                    every session ({@link StateStore#unseenSessions}), unless forced
     */
    public void guardNewVersion(Connection c, String version, Phase phase, boolean force, IgnoredSessions ignored)
            throws SQLException {
        String unseen = state.unseenSessions(c).orElse(null);
        List<StateStore.Instance> running = liveInstances(c).stream().filter(i -> i.version().equals(version)).toList();
        Unattributed unattributed = unattributed(c, ignored);
        if (running.isEmpty() && unattributed.blocking.isEmpty() && unseen == null) {
            unattributed.recordIgnored(c, version, phase.text);
            return;
        }
        String names = String.join(", ", running.stream().map(i -> i.id() + (i.host() != null ? " (" + i.host() + ")" : "")
                + sessions(i)).toList());
        String why = running.isEmpty() && unattributed.blocking.isEmpty()
                ? "instances of version " + version + " cannot be verified gone: " + unseen
                : (running.isEmpty() ? "" : "instances of version " + version + " are still running: " + names + "."
                + advice(running) + " ") + unattributed.text() + (unseen == null ? "" : " Moreover " + unseen);
        if (force) {
            state.history(c, version, phase.text, "rollback forced", why);
            listener.message("WARNING: rolling back although " + why);
            return;
        }
        throw refused("rollback of " + version + " refused before changing anything: " + why.strip() + " Roll them back"
                + " to the previous version first (rollback drops the schema they use), or override with --force.");
    }

    /**
     * Contract breaks every version but the new one: verify, do not assume, that none of them still runs, and that no
     * session that could be one (an unattributed session, {@link StateStore#unattributedSessions}) is connected.
     *
     * @param wait    how long to wait for them to go, checking every second
     * @param force   contract anyway, with a warning and a line in the history
     * @param ignored unattributed sessions to leave out (each is written to the history); every other check still runs
     * @throws dev.tandem.TandemException {@link dev.tandem.TandemException.Kind#REFUSED} while one still runs, or an
     *                                    unattributed session not ignored is connected, after {@code wait}, or at once
     *                                    while this login cannot see every session ({@link StateStore#unseenSessions}),
     *                                    unless forced; or when interrupted while waiting
     */
    public void guardOtherVersions(Connection c, String version, Duration wait, boolean force, IgnoredSessions ignored)
            throws SQLException {
        String unseen = state.unseenSessions(c).orElse(null);
        if (unseen != null) {
            String why = "no instance of another version can be verified gone: " + unseen;
            if (!force) {
                throw refused("contract of " + version + " refused before changing anything: " + why
                        + " Then run contract again, or override with --force.");
            }
            log.warn("contract of {} forced: {}", version, why);
            state.history(c, version, Phase.CONTRACTING.text, "contract forced", why);
            listener.message("WARNING: contracting although " + why);
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            List<StateStore.Instance> others = liveInstances(c).stream().filter(i -> !i.version().equals(version)).toList();
            Unattributed unattributed = unattributed(c, ignored);
            if (others.isEmpty() && unattributed.blocking.isEmpty()) {
                unattributed.recordIgnored(c, version, Phase.CONTRACTING.text);
                return;
            }
            String names = String.join(", ", others.stream().map(i -> i.id() + " (version " + i.version()
                    + (i.host() != null ? ", " + i.host() : "") + ")" + sessions(i)).toList());
            String alive = others.isEmpty() ? unattributed.text() : "instances of other versions are still running: "
                    + names + "." + advice(others) + (unattributed.blocking.isEmpty() ? "" : " " + unattributed.text());
            if (force) {
                log.warn("contract of {} forced although {}", version, alive);
                state.history(c, version, Phase.CONTRACTING.text, "contract forced", alive);
                listener.message("WARNING: contracting although " + alive);
                return;
            }
            if (System.nanoTime() >= deadline) {
                throw refused("contract of " + version + " refused: " + alive + " Upgrade or stop them first (contract"
                        + " removes what they use), wait with --wait, or override with --force.");
            }
            listener.message("waiting for instances of other versions to go: " + alive);
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw refused("interrupted while waiting for other versions to go");
            }
        }
    }

    private Unattributed unattributed(Connection c, IgnoredSessions ignored) throws SQLException {
        List<StateStore.UnattributedSession> all = state.unattributedSessions(c);
        return new Unattributed(all.stream().filter(s -> !ignored.covers(s.id())).toList(),
                all.stream().filter(s -> ignored.covers(s.id())).toList());
    }

    /** The sessions no version can be told from: those that block, and those the operator said to leave out. */
    private final class Unattributed {
        final List<StateStore.UnattributedSession> blocking;
        final List<StateStore.UnattributedSession> ignored;

        Unattributed(List<StateStore.UnattributedSession> blocking, List<StateStore.UnattributedSession> ignored) {
            this.blocking = blocking;
            this.ignored = ignored;
        }

        String text() {
            if (blocking.isEmpty()) return "";
            return "sessions with no default database are connected, which may use the tables by qualified names: "
                    + String.join(", ", blocking.stream().map(StateStore.UnattributedSession::describe).toList()) + "."
                    + " Stop their clients or end them (KILL CONNECTION <id>); one you know does not use the tables"
                    + " (a monitoring agent, a console) may be left out with --ignore-session <id> (each, repeatable)"
                    + " or --ignore-unattributed (all of them), which skips these sessions only and is recorded in the"
                    + " history.";
        }

        /** Every session left out goes to the history, as a forced step does. */
        void recordIgnored(Connection c, String version, String phase) throws SQLException {
            if (ignored.isEmpty()) return;
            String which = String.join(", ", ignored.stream().map(StateStore.UnattributedSession::describe).toList());
            log.warn("{} of {}: unattributed sessions ignored: {}", phase, version, which);
            state.history(c, version, phase, "unattributed sessions ignored", which);
            listener.message("WARNING: ignoring sessions with no default database: " + which);
        }
    }

    private static String sessions(StateStore.Instance i) {
        return i.sessions() == null ? "" : " [" + i.sessions() + "]";
    }

    /** How to end what the server lists only by connection. */
    private static String advice(List<StateStore.Instance> instances) {
        return instances.stream().anyMatch(i -> i.sessions() != null)
                ? " A session listed by connection is one the server shows without a name: an application using the"
                + " tables, or a console left open there (it counts too). Stop its client, or end it on the server"
                + " (KILL CONNECTION <id> on MariaDB)."
                : "";
    }
}
