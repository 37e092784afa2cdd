package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.mariadb.MariaDbDialect.Flavor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The MySQL flavor's reading queries (catalog, sessions, locks, grants), by their text, where they differ from
 * MariaDB's: each follows the MySQL 8.4 manual section named in its test and was never run on a MySQL server (none
 * runs where these tests run). The DDL's forms are MySqlFlavorStatementsTest's; what MariaDB accepts too is run there
 * (LongTransactionTest, PerformanceSchemaLocksTest). Package-private code, hence a test of its own in this package.
 */
class MySqlFlavorQueriesTest {

    /** "The INFORMATION_SCHEMA STATISTICS Table" (28.3.34) has IS_VISIBLE, no IGNORED; "Invisible Indexes" (10.3.12). */
    @Test
    void anIndexTheOptimizerIgnoresIsReadAndWrittenAsInvisible() {
        assertThat(MariaDbIndexes.query(Flavor.MYSQL)).contains("INDEX_COMMENT, IF(IS_VISIBLE = 'NO', 'YES', 'NO')")
                .doesNotContain("IGNORED");
        assertThat(Flavor.MYSQL.ignoredIndexClause()).isEqualTo(" INVISIBLE");
        assertThat(MariaDbIndexes.query(Flavor.MARIADB)).contains("INDEX_COMMENT, IGNORED, NULL\n");
        assertThat(Flavor.MARIADB.ignoredIndexClause()).isEqualTo(" IGNORED");
    }

    /**
     * A functional key part (MySQL 8.0.13+) has COLUMN_NAME NULL and its expression in EXPRESSION ("The
     * INFORMATION_SCHEMA STATISTICS Table", 28.3.34); in a key list it stands in parentheses ("Functional Key Parts",
     * 15.1.15). Read as a column, it made every catalog read of such a database fail. Now: the expression is the key's,
     * the index names only its real columns, and a change that would build it again is refused with what to do.
     */
    @Test
    void aFunctionalKeyPartIsReadAsAnExpressionAndNotRebuilt() {
        assertThat(MariaDbIndexes.query(Flavor.MYSQL)).contains("'NO'), EXPRESSION\n");
        var indexes = MariaDbIndexes.indexes(java.util.List.of(
                new MariaDbIndexes.Part("t", "f", false, null, "`a` + 1", null, false, "BTREE", false, "", false),
                new MariaDbIndexes.Part("t", "f", false, "b", null, null, true, "BTREE", false, "", false)), Flavor.MYSQL);
        var index = indexes.get("t").get(0);
        assertThat(index.definition()).isEqualTo("INDEX `f` ((`a` + 1), `b` DESC)");
        assertThat(index.columns()).containsExactly("b");
        assertThat(index.simple()).isFalse();
        assertThat(index.shape().keys().get(0).expression()).isEqualTo("(`a` + 1)");
        assertThat(index.shape().keys().get(0).column()).isNull();
        // What the planner asks to find the indexes a changed column is in (ShadowDependents): the expression names a.
        assertThat(dev.tandem.migration.ColumnReferences.mentions(index.shape().keys().get(0).expression(), "a")).isTrue();
        assertThat(dev.tandem.migration.ColumnReferences.mentions(index.shape().keys().get(0).expression(), "b")).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MariaDbDdl.indexKeys("f", index.shape()))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("index f on an expression (`a` + 1)")
                .hasMessageContaining("drop the index in an earlier migration");
    }

    /**
     * No SET STATEMENT on MySQL ("SET Syntax for Variable Assignment", 15.7.6.1); INNODB_TRX, PROCESSLIST
     * (28.3.23, deprecated but present in 8.4) and "KILL Statement" (15.7.8.4: KILL [CONNECTION | QUERY] processlist_id) as on MariaDB.
     */
    @Test
    void longTransactionsAreReadWithoutSetStatementInTheServersTimeZone() {
        assertThat(MariaDbOpenTransactions.query(Flavor.MYSQL)).startsWith("SELECT t.trx_mysql_thread_id, p.USER, p.HOST,"
                + " TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) FROM information_schema.INNODB_TRX t").doesNotContain("SET STATEMENT");
        assertThat(MariaDbOpenTransactions.query(Flavor.MARIADB)).startsWith("SET STATEMENT time_zone = 'SYSTEM' FOR SELECT");
        assertThat(MariaDbOpenTransactions.SYSTEM_TIME_ZONE)
                .isEqualTo("SET @tandem_time_zone = @@SESSION.time_zone, SESSION time_zone = 'SYSTEM'");
        assertThat(MariaDbOpenTransactions.RESTORE_TIME_ZONE)
                .isEqualTo("SET SESSION time_zone = @tandem_time_zone, @tandem_time_zone = NULL");
    }

    /**
     * "The metadata_locks Table" (29.12.13.3: OBJECT_TYPE 'TABLE', LOCK_TYPE, LOCK_STATUS 'GRANTED', OWNER_THREAD_ID)
     * and "The threads Table" (29.12.22.8: PROCESSLIST_ID, INSTRUMENTED).
     */
    @Test
    void metadataLocksAreReadFromThePerformanceSchema() {
        assertThat(MariaDbLocks.PERFORMANCE_SCHEMA_LOCKS_HELD).isEqualTo("SELECT m.LOCK_TYPE, m.OBJECT_SCHEMA, m.OBJECT_NAME"
                + " FROM performance_schema.metadata_locks m JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID"
                + " WHERE t.PROCESSLIST_ID = CONNECTION_ID() AND m.OBJECT_TYPE = 'TABLE' AND m.LOCK_STATUS = 'GRANTED'"
                + " AND m.OBJECT_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')");
        assertThat(MariaDbLocks.PERFORMANCE_SCHEMA_LOCKS_READABLE).contains("@@GLOBAL.performance_schema = 1")
                .contains("NAME = 'wait/lock/metadata/sql/mdl' AND ENABLED = 'YES'").contains("INSTRUMENTED = 'YES'");
        // The lock types the manual lists, without MariaDB's MDL_ prefix.
        assertThat(MariaDbLocks.mode("SHARED_READ")).isEqualTo(dev.tandem.engine.LockMode.ACCESS_SHARE);
        assertThat(MariaDbLocks.mode("SHARED_WRITE")).isEqualTo(dev.tandem.engine.LockMode.ROW_EXCLUSIVE);
        assertThat(MariaDbLocks.mode("SHARED_UPGRADABLE")).isEqualTo(dev.tandem.engine.LockMode.SHARE_UPDATE_EXCLUSIVE);
        assertThat(MariaDbLocks.mode("SHARED_NO_WRITE")).isEqualTo(dev.tandem.engine.LockMode.EXCLUSIVE);
        assertThat(MariaDbLocks.mode("EXCLUSIVE")).isEqualTo(dev.tandem.engine.LockMode.ACCESS_EXCLUSIVE);
    }

    /**
     * "SHOW GRANTS Statement" (15.7.7.22): a role's privileges are listed only with USING; CURRENT_ROLE() ("Information
     * Functions") gives the active roles as {@code `r`@`h`}, comma-separated, or NONE.
     */
    @Test
    void grantsOfTheActiveRolesAreAskedForByName() {
        assertThat(MariaDbGrants.showGrants(Flavor.MYSQL, "`app_rw`@`%`,`odd``name`@`localhost`"))
                .isEqualTo("SHOW GRANTS FOR CURRENT_USER() USING `app_rw`@`%`, `odd``name`@`localhost`");
        assertThat(MariaDbGrants.showGrants(Flavor.MYSQL, "NONE")).isEqualTo("SHOW GRANTS");
        assertThat(MariaDbGrants.showGrants(Flavor.MARIADB, "`app_rw`")).isEqualTo("SHOW GRANTS");
    }

    /**
     * A replica's dump thread asking by GTID (COM_BINLOG_DUMP_GTID): not in the list of "Thread Command Values"
     * (10.14.2), which names Binlog Dump only, but the name MySQL's protocol gives it.
     */
    @Test
    void aGtidDumpThreadIsTheServers() {
        var dump = new MariaDbSessions.Session(7, "repl", "10.0.0.2", null, "Binlog Dump GTID", 5, null, false, false);
        assertThat(dump.serverThread()).isTrue();
        var client = new MariaDbSessions.Session(8, "app", "10.0.0.3", null, "Sleep", 5, null, false, false);
        assertThat(client.serverThread()).isFalse();
    }
}
