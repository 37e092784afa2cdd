package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.Dialect.ServerProblem;
import dev.tandem.engine.Plan;
import dev.tandem.engine.Step;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a Galera cluster ({@code wsrep_on=ON}) changes for Tandem, measured on a 2-node MariaDB 10.11 cluster when the
 * MariaDB dialect was designed (issue 12; the tests have no cluster): triggers fire on the node that takes the write only, and the other
 * nodes apply their effects as rows; every DDL runs in Total Order Isolation on all nodes at once and aborts the open
 * transactions on its table there with 1213, waiting for none of them (NOWAIT and lock_wait_timeout change nothing).
 * So Tandem runs only statements that change the data dictionary alone; one that builds an index or rebuilds the table
 * would hold every node for as long as it runs, and is refused.
 */
final class Galera {
    /** The NOTE {@code plan} shows on a Galera node. */
    static final String WARNING = "Galera cluster (wsrep_on=ON): Tandem's sync triggers fire only on the node that"
            + " takes a write, and the other nodes receive their effects as rows, which keeps both versions in step on"
            + " every node. Each DDL statement runs on all nodes at once (Total Order Isolation) and aborts the open"
            + " transactions on its table with error 1213 (deadlock) on every node, however briefly it runs: the"
            + " application must retry 1213 during expand and contract. Tandem runs only instant DDL here.";

    private Galera() {
    }

    /**
     * The statements of {@code plan} (every phase) that are not instant: each one a problem, for under TOI it would
     * block writes to its table on every node while it builds or rebuilds.
     */
    static List<ServerProblem> notInstant(Plan plan) {
        List<ServerProblem> problems = new ArrayList<>();
        for (Map.Entry<String, List<Step>> phase : phases(plan).entrySet()) {
            for (Step s : phase.getValue()) {
                if (s.effect() == Step.Effect.BUILD || s.effect() == Step.Effect.REWRITE) {
                    problems.add(new ServerProblem("on Galera, " + phase.getKey() + " step \"" + s.description()
                            + "\" is not instant: under Total Order Isolation every node would run it at once and"
                            + " block writes to the table for as long as it " + (s.effect() == Step.Effect.BUILD
                            ? "builds" : "rebuilds"), "Leave it out of this migration and make that change outside"
                            + " Tandem, node by node (wsrep_OSU_method = 'RSU'), or with a tool that copies the table"
                            + " in the background"));
                }
            }
        }
        return problems;
    }

    /** A NOTE for each raw SQL statement: Tandem cannot tell whether it is instant. */
    static List<String> rawSqlWarnings(Plan plan) {
        List<String> warnings = new ArrayList<>();
        for (Map.Entry<String, List<Step>> phase : phases(plan).entrySet()) {
            for (Step s : phase.getValue()) {
                if (s.effect() == Step.Effect.UNKNOWN) {
                    warnings.add("Galera: " + phase.getKey() + " step \"" + s.description() + "\" runs as written;"
                            + " if it is DDL that is not instant, it blocks writes to its tables on every node while it runs");
                }
            }
        }
        return warnings;
    }

    private static Map<String, List<Step>> phases(Plan plan) {
        Map<String, List<Step>> phases = new java.util.LinkedHashMap<>();
        phases.put("expand", plan.expand());
        phases.put("publish", plan.publish());
        phases.put("contract", plan.contract());
        phases.put("rollback", plan.rollback());
        return phases;
    }
}
