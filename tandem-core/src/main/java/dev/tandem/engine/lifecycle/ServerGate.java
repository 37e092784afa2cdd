package dev.tandem.engine.lifecycle;

import dev.tandem.dialect.Dialect;
import dev.tandem.engine.Plan;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import static dev.tandem.engine.lifecycle.Refusals.refused;

/**
 * Every command that changes the database asks the server first ({@link Dialect#checkServer}) and is refused, with
 * everything missing at once and what to run, before its first change (README, "MariaDB: what Tandem needs from the
 * server"): a setting that a server restart put back, or a privilege taken away since expand, would otherwise fail the
 * command half-way with the server's bare error.
 */
public final class ServerGate {
    private final Dialect dialect;
    private final String stateSchema;

    /** @param stateSchema where Tandem keeps its state */
    public ServerGate(Dialect dialect, String stateSchema) {
        this.dialect = dialect;
        this.stateSchema = stateSchema;
    }

    /**
     * The warnings for {@code plan} on this server; refused when the server or this login lacks something {@code
     * command} needs.
     *
     * @param tables      the existing tables the migration changes (plan and expand only; else none)
     * @param triggers    whether the command creates sync triggers (the dialect counts those that exist too)
     * @param seeSessions whether the command's guard must see every session
     * @param refusal     the first sentence of the refusal: which command, and that nothing was changed
     * @throws dev.tandem.TandemException {@link dev.tandem.TandemException.Kind#REFUSED} listing every problem
     */
    List<String> require(Connection c, Plan plan, Dialect.Command command, List<String> tables, boolean triggers,
                         boolean seeSessions, String refusal) throws SQLException {
        Dialect.ServerReport report = dialect.checkServer(c, new Dialect.ServerNeeds(plan, stateSchema, tables, triggers,
                command, seeSessions));
        if (report.problems().isEmpty()) return report.warnings();
        StringBuilder message = new StringBuilder(refusal + " What is missing, and what to do:");
        for (Dialect.ServerProblem p : report.problems()) message.append("\n  - ").append(p.missing()).append(". ").append(p.fix());
        throw refused(message.toString());
    }

    /** {@link #require} for a command that creates, drops or publishes on a migration expanded before. */
    void require(Connection c, Plan plan, Dialect.Command command, boolean seeSessions, String refusal) throws SQLException {
        require(c, plan, command, List.of(), false, seeSessions, refusal);
    }
}
