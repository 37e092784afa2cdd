package dev.tandem.mariadb;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.mariadb.MariaDbDdl;
import dev.tandem.engine.LockMode;
import dev.tandem.engine.Step;
import dev.tandem.engine.TableLock;
import dev.tandem.migration.ColumnDef;
import dev.tandem.migration.ForeignKey;
import dev.tandem.migration.SourceLocation;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** MariaDbDdl's statements on the real server: in place or refused, never a silent copy; idempotent; quoted. */
class MariaDbDdlTest {
    private final MariaDbDdl ddl = new MariaDbDdl();

    private static String table(String db, String sql) {
        MariaDb.exec(db, sql);
        return db;
    }

    private static String showCreate(String db, String table) {
        return (String) Rows.query(MariaDb.dataSource(), "SHOW CREATE TABLE " + MariaDb.quote(db) + "." + MariaDb.quote(table))
                .get(0).get("Create Table");
    }

    private static int errorCode(Executable action) {
        try {
            action.execute();
        } catch (SQLException e) {
            return e.getErrorCode();
        } catch (Throwable e) {
            throw new AssertionError("expected an SQLException, got " + e, e);
        }
        throw new AssertionError("expected the statement to fail");
    }

    /** A session that read {@code db.t} in a transaction it keeps open: it holds the table's shared metadata lock. */
    private static Connection holding(String sql) throws SQLException {
        Connection c = MariaDb.dataSource().getConnection();
        c.setAutoCommit(false);
        MariaDbSteps.exec(c, sql);
        return c;
    }

    /** Every ALTER-shaped step MariaDbDdl builds for one table, for the checks that apply to all of them. */
    private List<Step> alters(String db) {
        return List.of(
                ddl.addColumn(db, "t", "c", "INT"),
                ddl.addColumn(db, "t", "c", "VARCHAR(10)", null, "utf8mb4_bin"),
                ddl.dropColumn(db, "t", "c", List.of()),
                ddl.setDefault(db, "t", "c", "1"),
                ddl.dropDefault(db, "t", "c"),
                ddl.setNotNull(db, "t", "c"),
                ddl.setColumnSettings(db, "t", "c", "a comment", null, List.of(), "carry the comment"),
                ddl.createIndex(db, "t", "i", List.of("c"), true, "btree"),
                ddl.dropIndex(db, "t", "i"),
                ddl.dropConstraint(db, "t", "k"),
                ddl.addForeignKeyNotValid(db, "t", "fk", List.of("c"), "p", List.of("id"), "NO ACTION"),
                ddl.dropForeignKey(db, "t", "fk", "p"),
                ddl.addUniqueUsingIndex(db, "t", "u", "i"));
    }

    /**
     * Every ALTER names its algorithm and lock; one that only changes the catalog waits for its metadata lock (bounded
     * by the executor, see aHeldMetadataLockEndsTheStatementWithinTheLockTimeout), one that works for a while does not
     * wait at all (NOWAIT), since its work would be bounded too.
     */
    @Test
    void everyAlterNamesItsAlgorithmAndLockAndHowItWaits() {
        for (Step step : alters("db")) {
            assertThat(step.sql()).as(step.description()).containsPattern("ALGORITHM=(INSTANT|NOCOPY|INPLACE), LOCK=NONE");
            assertThat(step.description()).as(step.sql()).containsPattern("ALGORITHM=[A-Z]+.*LOCK=NONE");
            boolean instant = step.sql().contains("ALGORITHM=INSTANT") && !step.sql().contains("ALGORITHM=NOCOPY")
                    && !step.sql().contains("ALGORITHM=INPLACE");
            if (instant) {
                assertThat(step.sql()).as(step.description()).contains("ALTER TABLE `db`.`t` ").doesNotContain("NOWAIT");
                assertThat(step.mode()).as(step.description()).isEqualTo(Step.Mode.TRANSACTIONAL);
            } else {
                assertThat(step.sql()).as(step.description()).contains("ALTER TABLE `db`.`t` NOWAIT ");
            }
        }
    }

    @Test
    void aChangeTheServerCannotMakeInPlaceIsRefusedNotCopied() throws SQLException {
        String db = table(MariaDb.newDatabase("ddl_refused"), "CREATE TABLE z (id INT PRIMARY KEY, a INT) ROW_FORMAT=COMPRESSED");
        MariaDb.exec(db, "INSERT INTO z VALUES (1, 1), (2, 2)", "CREATE TABLE t (id INT PRIMARY KEY, c INT, KEY kc (c))");
        // A compressed table cannot take a column instantly; the same ALTER without ALGORITHM would rebuild it.
        assertThat(errorCode(() -> MariaDbSteps.apply(ddl.addColumn(db, "z", "b", "INT")))).isIn(1845, 1846);
        assertThat(showCreate(db, "z")).doesNotContain("`b`");
        // A column an index covers cannot be dropped instantly (1846: the index would be rebuilt), so dropColumn drops
        // the index first (NOCOPY) and then the column (INSTANT), as PostgreSQL's DROP COLUMN takes its indexes along.
        assertThat(errorCode(() -> MariaDbSteps.exec(MariaDb.dataSource(db).getConnection(),
                "ALTER TABLE t DROP COLUMN c, ALGORITHM=INSTANT, LOCK=NONE"))).isEqualTo(1846);
        MariaDbSteps.run(ddl.dropColumn(db, "t", "c", List.of()));
        MariaDbSteps.run(ddl.dropColumn(db, "t", "c", List.of()));
        assertThat(showCreate(db, "t")).doesNotContain("`c`").doesNotContain("kc");
        // What the clause prevents: the server would have done it.
        MariaDb.exec(db, "ALTER TABLE z ADD COLUMN b INT");
        assertThat(showCreate(db, "z")).contains("`b`");
    }

    /**
     * A held metadata lock ends a catalog-only statement after the lock timeout (max_statement_time, 1969), not after
     * lock_wait_timeout's whole seconds, and a statement without a NOWAIT of its own (CREATE TRIGGER) likewise.
     */
    @Test
    void aHeldMetadataLockEndsTheStatementWithinTheLockTimeout() throws SQLException {
        String db = table(MariaDb.newDatabase("ddl_wait"), "CREATE TABLE t (id INT PRIMARY KEY, c INT)");
        try (Connection holder = holding("SELECT * FROM " + MariaDb.quote(db) + ".t")) {
            long start = System.nanoTime();
            assertThat(errorCode(() -> MariaDbSteps.apply(ddl.addColumn(db, "t", "d", "INT")))).isEqualTo(1969);
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(MariaDbSteps.LOCK_TIMEOUT.toMillis() - 50, 900L);
            UsersMigration m = new UsersMigration("ddl_wait_trigger");
            try (Connection usersHolder = holding("SELECT * FROM " + m.qualified())) {
                long t0 = System.nanoTime();
                assertThat(errorCode(() -> MariaDbSteps.apply(m.ddl.createSyncTrigger(m.syncTrigger()).get(0)))).isEqualTo(1969);
                assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(900);
            }
            holder.rollback();
        }
        MariaDbSteps.run(ddl.addColumn(db, "t", "d", "INT"));
        assertThat(showCreate(db, "t")).contains("`d` int");
    }

    /**
     * What the bounded wait is for: a table some session always uses. Here one writer's transactions follow each other
     * with a gap of a round trip, each holding the table 100 ms: NOWAIT finds it free only by chance (it failed all 5
     * attempts when tried), while a wait of up to the lock timeout gets in when one of those transactions ends, as the
     * writer's next statement queues behind the waiting change.
     */
    @Test
    void aTableAlwaysInUseStillTakesACatalogChange() throws Exception {
        String db = table(MariaDb.newDatabase("ddl_busy"), "CREATE TABLE t (id INT PRIMARY KEY, c INT)");
        MariaDb.exec(db, "INSERT INTO t VALUES (1, 0)");
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CompletableFuture<Void> writer = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try (Connection c = MariaDb.dataSource(db).getConnection(); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                while (!stop.get()) {
                    st.executeUpdate("UPDATE t SET c = c + 1 WHERE id = 1");
                    st.execute("DO SLEEP(0.1)");
                    c.commit();
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        int attempts = 0;
        boolean done = false;
        try {
            Thread.sleep(300);
            while (!done && attempts < 5) {
                attempts++;
                try {
                    MariaDbSteps.apply(ddl.addColumn(db, "t", "d", "INT"));
                    done = true;
                } catch (SQLException e) {
                    assertThat(e.getErrorCode()).isIn(1969, 1205);
                }
            }
        } finally {
            stop.set(true);
        }
        writer.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(done).as("added within 5 attempts").isTrue();
        assertThat(showCreate(db, "t")).contains("`d` int");
    }


    /** Why Tandem writes NOWAIT, not the WAIT 0.2 of the design: MariaDB reads WAIT n as whole seconds. */
    @Test
    void fractionalWaitIsNoWait() throws SQLException {
        String db = table(MariaDb.newDatabase("ddl_wait"), "CREATE TABLE t (id INT PRIMARY KEY)");
        String alter = "ALTER TABLE " + MariaDb.quote(db) + ".t %s ADD COLUMN IF NOT EXISTS c INT, ALGORITHM=INSTANT, LOCK=NONE";
        try (Connection holder = holding("SELECT * FROM " + MariaDb.quote(db) + ".t");
             Connection c = MariaDb.dataSource().getConnection()) {
            long[] ms = new long[3];
            String[] waits = {"WAIT 0.2", "WAIT 0.7", "WAIT 1"};
            for (int i = 0; i < waits.length; i++) {
                String sql = String.format(alter, waits[i]);
                long start = System.nanoTime();
                assertThat(errorCode(() -> MariaDbSteps.exec(c, sql))).isEqualTo(1205);
                ms[i] = (System.nanoTime() - start) / 1_000_000;
            }
            System.out.printf("waited: WAIT 0.2 %d ms, WAIT 0.7 %d ms, WAIT 1 %d ms%n", ms[0], ms[1], ms[2]);
            assertThat(ms[0]).isLessThan(150);
            assertThat(ms[1]).isLessThan(150);
            assertThat(ms[2]).isGreaterThanOrEqualTo(900);
            holder.rollback();
        }
    }

    /** The claims of MariaDbDdl's Javadoc: a statement's lock on a referenced table lets that table's writers through. */
    @Test
    void foreignKeysDoNotBlockTheReferencedTable() throws SQLException {
        String db = table(MariaDb.newDatabase("ddl_fk_locks"), "CREATE TABLE p (id INT PRIMARY KEY)");
        MariaDb.exec(db, "INSERT INTO p VALUES (1)", "CREATE TABLE t (id INT PRIMARY KEY, pid INT)");
        List<Step> steps = List.of(
                ddl.addForeignKeyNotValid(db, "t", "fk", List.of("pid"), "p", List.of("id"), "NO ACTION"),
                ddl.validateForeignKey(db, "t", "fk", "p"),
                ddl.dropForeignKey(db, "t", "fk", "p"),
                ddl.createTable(db, "c", List.of(column("id", "INT", true, null),
                        new ColumnDef("pid", "INT", true, null, false, false, null, null, new ForeignKey("p", "id", "CASCADE"),
                                SourceLocation.unknown("test")))),
                ddl.dropTable(db, "c", List.of("p")));
        try (Connection writer = holding("INSERT INTO " + MariaDb.quote(db) + ".p VALUES (2)")) {
            for (Step step : steps) {
                TableLock onParent = step.locks().tables().stream().filter(l -> l.table().equals("p")).findFirst().orElseThrow();
                assertThat(onParent.mode()).as(step.description()).isEqualTo(LockMode.ACCESS_SHARE);
                MariaDbSteps.run(step);
            }
            writer.rollback();
        }
    }

    /** The claims of ACCESS EXCLUSIVE are not understated: each such statement waits for a reader's open transaction. */
    @Test
    void statementsClaimingTheExclusiveLockConflictWithAReader() throws SQLException {
        String db = table(MariaDb.newDatabase("ddl_claims"), "CREATE TABLE t (id INT PRIMARY KEY, c INT, k INT, CONSTRAINT k CHECK (k > 0))");
        MariaDb.exec(db, "CREATE TABLE p (id INT PRIMARY KEY)", "ALTER TABLE t ADD INDEX i (c)");
        List<Step> claimingExclusive = new ArrayList<>(List.of(ddl.addColumn(db, "t", "d", "INT"), ddl.setDefault(db, "t", "c", "1"),
                ddl.dropDefault(db, "t", "c"), ddl.dropIndex(db, "t", "i"), ddl.dropConstraint(db, "t", "k"),
                ddl.dropColumn(db, "t", "k", List.of()), ddl.dropTable(db, "t", List.of())));
        try (Connection reader = holding("SELECT * FROM " + MariaDb.quote(db) + ".t")) {
            for (Step step : claimingExclusive) {
                assertThat(step.locks().tables()).as(step.description()).contains(new TableLock(db, "t", LockMode.ACCESS_EXCLUSIVE));
                assertThat(errorCode(() -> MariaDbSteps.apply(step))).as(step.description()).isIn(1205, 1969);
            }
            reader.rollback();
        }
    }

    @Test
    void aForeignKeyIsAddedUncheckedEnforcedForNewRowsAndCheckedByAScan() throws SQLException {
        String db = table(MariaDb.newDatabase("ddl_fk"), "CREATE TABLE p (id INT PRIMARY KEY)");
        MariaDb.exec(db, "INSERT INTO p VALUES (1), (2)", "CREATE TABLE t (id INT PRIMARY KEY, pid INT)",
                "INSERT INTO t VALUES (1, 1), (2, NULL), (3, 9)");
        Step add = ddl.addForeignKeyNotValid(db, "t", "t_pid_fkey", List.of("pid"), "p", List.of("id"), "NO ACTION");
        MariaDbSteps.run(add);
        MariaDbSteps.run(add);
        assertThat(errorCode(() -> MariaDbSteps.exec(MariaDb.dataSource(db).getConnection(), "INSERT INTO t VALUES (4, 8)")))
                .isEqualTo(1452);
        Step validate = ddl.validateForeignKey(db, "t", "t_pid_fkey", "p");
        assertThat(validate.effect()).isEqualTo(Step.Effect.SCAN);
        assertThatThrownBy(() -> MariaDbSteps.apply(validate)).isInstanceOfSatisfying(SQLException.class, e -> {
            assertThat(e.getSQLState()).isEqualTo("23000");
            assertThat(e.getMessage()).contains("Tandem: 1 existing row(s) break foreign key t_pid_fkey of `" + db + "`.`t`");
        });
        MariaDb.exec(db, "DELETE FROM t WHERE id = 3");
        MariaDbSteps.run(validate);
        MariaDbSteps.run(ddl.dropForeignKey(db, "t", "t_pid_fkey", "p"));
        MariaDbSteps.run(ddl.dropForeignKey(db, "t", "t_pid_fkey", "p"));
        assertThat(showCreate(db, "t")).doesNotContain("FOREIGN KEY");
    }

    @Test
    void addingACheckNeedsACopy() throws SQLException {
        String db = table(MariaDb.newDatabase("ddl_check"), "CREATE TABLE t (id INT PRIMARY KEY, n INT)");
        assertThatThrownBy(() -> ddl.addCheckNotValid(db, "t", "n_positive", "n > 0"))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("not supported on MariaDB")
                .hasMessageContaining("ALGORITHM=COPY");
        // The server's reason, with the constraint checks off too.
        String add = "ALTER TABLE " + MariaDb.quote(db) + ".t ADD CONSTRAINT c CHECK (n > 0), ALGORITHM=%s, LOCK=NONE";
        for (String algorithm : List.of("INSTANT", "NOCOPY", "INPLACE")) {
            // Closed at once: a session with no default database left open would block every later contract here.
            try (Connection c = MariaDb.dataSource().getConnection()) {
                assertThat(errorCode(() -> MariaDbSteps.exec(c,
                        "SET STATEMENT check_constraint_checks=0 FOR " + String.format(add, algorithm)))).isEqualTo(1845);
            }
        }
        // A CHECK the server has (added by the user) is checked over the existing rows by a scan.
        MariaDb.exec(db, "INSERT INTO t VALUES (1, 1), (2, -1), (3, NULL)",
                "SET STATEMENT check_constraint_checks=0 FOR ALTER TABLE t ADD CONSTRAINT n_positive CHECK (n > 0)");
        assertThatThrownBy(() -> MariaDbSteps.apply(ddl.validateConstraint(db, "t", "n_positive")))
                .hasMessageContaining("Tandem: 1 existing row(s) break check constraint n_positive");
        MariaDb.exec(db, "DELETE FROM t WHERE id = 2");
        MariaDbSteps.run(ddl.validateConstraint(db, "t", "n_positive"));
        MariaDbSteps.run(ddl.dropConstraint(db, "t", "n_positive"));
        MariaDbSteps.run(ddl.dropConstraint(db, "t", "n_positive"));
        assertThat(showCreate(db, "t")).doesNotContain("CHECK");
    }

    @Test
    void setNotNullRestatesTheWholeDefinitionInPlace() throws SQLException {
        String db = table(MariaDb.newDatabase("ddl_notnull"), "CREATE TABLE t (id INT PRIMARY KEY,"
                + " s VARCHAR(30) CHARACTER SET latin1 COLLATE latin1_bin DEFAULT 'it''s \\\\ x' COMMENT 'a ''c''' INVISIBLE CHECK (s <> 'no'),"
                + " ts TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, g INT AS (id + 1) VIRTUAL)");
        // Another table's column of the same name, with a CHECK of its own, is not this column's.
        MariaDb.exec(db, "INSERT INTO t (id, s) VALUES (1, 'a'), (2, NULL)", "CREATE TABLE u (s VARCHAR(30) CHECK (s <> 'other'))");
        String before = showCreate(db, "t");
        Step notNull = ddl.setNotNull(db, "t", "s");
        assertThat(notNull.effect()).isEqualTo(Step.Effect.REWRITE);
        assertThat(notNull.locks().tables()).containsExactly(new TableLock(db, "t", LockMode.SHARE_UPDATE_EXCLUSIVE));
        // A NULL left: refused, nothing changed.
        assertThat(errorCode(() -> MariaDbSteps.apply(notNull))).isIn(1265, 1138);
        assertThat(showCreate(db, "t")).isEqualTo(before);
        MariaDb.exec(db, "UPDATE t SET s = 'b' WHERE id = 2");
        assertThat(MariaDbSteps.apply(notNull)).isTrue();
        String after = showCreate(db, "t");
        assertThat(after).contains("`s` varchar(30) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL INVISIBLE DEFAULT"
                + " 'it''s \\\\ x' COMMENT 'a ''c''' CHECK (`s` <> 'no')");
        assertThat(after.replace(" NOT NULL INVISIBLE", " INVISIBLE")).isEqualTo(before);
        assertThat(MariaDbSteps.apply(notNull)).as("skipped once done").isFalse();
        // A column whose default is not a constant cannot be made NOT NULL in place: the server refuses, nothing changes.
        String done = showCreate(db, "t");
        assertThat(errorCode(() -> MariaDbSteps.apply(ddl.setNotNull(db, "t", "ts")))).isEqualTo(1846);
        assertThat(showCreate(db, "t")).isEqualTo(done);
        // A generated column cannot be restated: refused with the reason.
        assertThatThrownBy(() -> MariaDbSteps.apply(ddl.setNotNull(db, "t", "g")))
                .hasMessageContaining("is generated or has attributes Tandem cannot restate");
        assertThatThrownBy(() -> MariaDbSteps.apply(ddl.setNotNull(db, "t", "nope"))).hasMessageContaining("does not exist");
    }

    @Test
    void aCommentIsCarriedAndTheRestOfTheColumnKept() {
        String db = table(MariaDb.newDatabase("ddl_comment"), "CREATE TABLE t (id INT PRIMARY KEY, c INT NOT NULL DEFAULT 3)");
        MariaDbSteps.run(ddl.setColumnSettings(db, "t", "c", "it's \\ new", null, List.of(), "carry the comment"));
        assertThat(showCreate(db, "t")).contains("`c` int(11) NOT NULL DEFAULT 3 COMMENT 'it''s \\\\ new'");
        assertThatThrownBy(() -> ddl.setColumnSettings(db, "t", "c", null, 100, List.of(), "why"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void defaultsAreSetAndDroppedAsPostgresqlMeansThem() {
        String db = table(MariaDb.newDatabase("ddl_default"), "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT NOT NULL)");
        MariaDbSteps.run(ddl.setDefault(db, "t", "a", "40 + 2"));
        MariaDbSteps.run(ddl.setDefault(db, "t", "b", "7"));
        MariaDb.exec(db, "INSERT INTO t (id) VALUES (1)");
        assertThat(Rows.query(MariaDb.dataSource(db), "SELECT a, b FROM t").get(0)).containsEntry("a", 42).containsEntry("b", 7);
        MariaDbSteps.run(ddl.dropDefault(db, "t", "a"));
        MariaDbSteps.run(ddl.dropDefault(db, "t", "b"));
        // A nullable column without a default takes NULL, as on PostgreSQL; a NOT NULL one needs a value.
        MariaDb.exec(db, "INSERT INTO t (id, b) VALUES (2, 0)");
        assertThat(Rows.scalar(MariaDb.dataSource(db), "SELECT a FROM t WHERE id = 2")).isNull();
        assertThatThrownBy(() -> MariaDb.exec(db, "INSERT INTO t (id) VALUES (3)")).hasMessageContaining("doesn't have a default value");
    }

    @Test
    void indexesAreBuiltInPlaceAndUniqueOnesAreTheConstraint() throws SQLException {
        String db = table(MariaDb.newDatabase("ddl_index"), "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT)");
        MariaDb.exec(db, "INSERT INTO t VALUES (1, 1, 5), (2, 1, 6)");
        Step unique = ddl.createIndex(db, "t", "t_a_key", List.of("a"), true, "btree");
        assertThat(unique.effect()).isEqualTo(Step.Effect.BUILD);
        assertThat(unique.locks().tables()).containsExactly(new TableLock(db, "t", LockMode.SHARE_UPDATE_EXCLUSIVE));
        assertThat(errorCode(() -> MariaDbSteps.apply(unique))).isEqualTo(1062);
        MariaDb.exec(db, "UPDATE t SET a = 2 WHERE id = 2");
        assertThat(MariaDbSteps.apply(unique)).isTrue();
        assertThat(MariaDbSteps.apply(unique)).as("skipped once built").isFalse();
        MariaDbSteps.run(ddl.createIndex(db, "t", "_tandem_t_b", new Catalog.IndexShape("btree", List.of(
                new Catalog.IndexKey("b", null, null, null, List.of(), true, false)), List.of(), false, List.of(), null, null), true));
        MariaDbSteps.run(ddl.addUniqueUsingIndex(db, "t", "t_b_key", "_tandem_t_b"));
        MariaDbSteps.run(ddl.addUniqueUsingIndex(db, "t", "t_b_key", "_tandem_t_b"));
        assertThat(showCreate(db, "t")).contains("UNIQUE KEY `t_a_key` (`a`)").contains("UNIQUE KEY `t_b_key` (`b` DESC)");
        MariaDbSteps.run(ddl.dropConstraint(db, "t", "t_b_key"));
        MariaDbSteps.run(ddl.dropIndex(db, "t", "t_a_key"));
        MariaDbSteps.run(ddl.dropIndex(db, "t", "t_a_key"));
        assertThat(showCreate(db, "t")).doesNotContain("KEY `t_");
        assertThatThrownBy(() -> ddl.createIndex(db, "t", "x", new Catalog.IndexShape("btree", List.of(
                new Catalog.IndexKey(null, "lower(a)", null, null, List.of(), false, false)), List.of(), false, List.of(), null, null), false))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("expression");
    }

    @Test
    void aVersionDatabaseHoldsInsertableViewsThatAliasTheColumns() throws SQLException {
        String db = table(MariaDb.newDatabase("ddl_view"), "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20),"
                + " n INT NOT NULL DEFAULT 5)");
        String vdb = db + "_002";
        List<Ddl.ViewColumn> columns = List.of(new Ddl.ViewColumn("id", "id"), new Ddl.ViewColumn("name", "full_name"),
                new Ddl.ViewColumn("n", "n", "5"));
        for (int i = 0; i < 2; i++) {
            MariaDbSteps.run(ddl.createSchema(vdb));
            MariaDbSteps.run(ddl.createView(vdb, "t", db, "t", columns, false));
        }
        assertThat(Rows.query(MariaDb.dataSource(), "SELECT SECURITY_TYPE AS security, IS_UPDATABLE AS updatable, ALGORITHM AS algorithm"
                + " FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?", vdb).get(0))
                .containsEntry("security", "INVOKER").containsEntry("updatable", "YES").containsEntry("algorithm", "MERGE");
        try (Connection c = MariaDb.dataSource(vdb).getConnection()) {
            MariaDbSteps.exec(c, "INSERT INTO t (full_name) VALUES ('ada')");
            assertThat(Rows.scalar(MariaDb.dataSource(vdb), "SELECT COUNT(*) FROM t WHERE id = 1 AND n = 5")).isEqualTo(1L);
            // The version's default through the view is the table's: why MariaDbDdl writes none on the view.
            MariaDbSteps.exec(c, "UPDATE t SET n = 9");
            MariaDbSteps.exec(c, "UPDATE t SET n = DEFAULT");
        }
        assertThat(Rows.query(MariaDb.dataSource(db), "SELECT name, n FROM t").get(0)).containsEntry("name", "ada").containsEntry("n", 5);
        MariaDbSteps.run(ddl.dropSchema(vdb, List.of("t")));
        MariaDbSteps.run(ddl.dropSchema(vdb, List.of("t")));
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", vdb))
                .isEqualTo(0L);
    }

    @Test
    void grantsOnAViewLetAUserWriteThroughIt() throws SQLException {
        String db = table(MariaDb.newDatabase("ddl_grant"), "CREATE TABLE t (id INT PRIMARY KEY, a INT)");
        String vdb = db + "_002";
        MariaDbSteps.run(ddl.createSchema(vdb));
        MariaDbSteps.run(ddl.createView(vdb, "t", db, "t", List.of(new Ddl.ViewColumn("id", "id"), new Ddl.ViewColumn("a", "b")), true));
        // SQL SECURITY INVOKER: the user needs its privileges on the table too, as when it wrote the table itself.
        String user = MariaDb.newUser("app", "SELECT, INSERT ON " + MariaDb.quote(db) + ".`t`");
        assertThatThrownBy(() -> Rows.update(MariaDb.dataSourceAs(user, vdb), "INSERT INTO t VALUES (1, 1)"))
                .hasMessageContaining("denied");
        MariaDbSteps.run(ddl.grant(vdb, "t", List.of(new Ddl.Grant(user + "@%", "SELECT", null, false),
                new Ddl.Grant(user + "@%", "INSERT", "b", false), new Ddl.Grant(user + "@%", "INSERT", "id", false)), "carry grants"));
        Rows.update(MariaDb.dataSourceAs(user, vdb), "INSERT INTO t (id, b) VALUES (1, 1)");
        assertThat(Rows.scalar(MariaDb.dataSourceAs(user, vdb), "SELECT b FROM t")).isEqualTo(1);
        assertThatThrownBy(() -> ddl.grant(vdb, "t", List.of(new Ddl.Grant(user, "TRUNCATE", null, false)), "x"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void tablesAreCreatedWithTheirKeysAndDropped() {
        String db = table(MariaDb.newDatabase("ddl_table"), "CREATE TABLE p (id INT PRIMARY KEY)");
        List<ColumnDef> columns = List.of(
                new ColumnDef("id", "BIGINT", false, null, true, false, "identity", null, null, SourceLocation.unknown("t")),
                new ColumnDef("code", "VARCHAR(10)", false, "'x'", false, true, null, "code <> ''", null, SourceLocation.unknown("t")),
                new ColumnDef("pid", "INT", true, null, false, false, null, null, new ForeignKey("p", "id", "SET NULL"),
                        SourceLocation.unknown("t")));
        MariaDbSteps.run(ddl.createTable(db, "c", columns));
        MariaDbSteps.run(ddl.createTable(db, "c", columns));
        assertThat(showCreate(db, "c")).contains("`id` bigint(20) NOT NULL AUTO_INCREMENT", "`code` varchar(10) NOT NULL DEFAULT 'x'",
                "PRIMARY KEY (`id`)", "UNIQUE KEY `code` (`code`)", "CONSTRAINT `c_code_check` CHECK (`code` <> '')",
                "FOREIGN KEY (`pid`) REFERENCES `p` (`id`) ON DELETE SET NULL");
        MariaDbSteps.run(ddl.dropTable(db, "c", List.of("p")));
        MariaDbSteps.run(ddl.dropTable(db, "c", List.of("p")));
        assertThatThrownBy(() -> ddl.createTable(db, "d", List.of(new ColumnDef("n", "INT", false, null, false, false, "identity",
                null, null, SourceLocation.unknown("t"))))).hasMessageContaining("must be its primary key or unique");
    }

    @Test
    void whatMariaDbCannotDoIsRefusedWithTheReason() {
        Ddl.SyncTrigger noName = new UsersMigration("ddl_noname").syncTrigger();
        List<Executable> refused = List.of(
                () -> ddl.renameTable("db", "a", "b"),
                () -> ddl.renameColumn("db", "t", "a", "b"),
                () -> ddl.setColumnStorage("db", "t", "c", "x", null, "why"),
                () -> ddl.sequenceOwnedBy("db", "s", "db", "t", "c"),
                () -> ddl.sequenceAs("db", "s", "bigint"),
                () -> ddl.addCheckNotValid("db", "t", "k", "a > 0"),
                () -> ddl.renameConstraint("db", "t", "a", "b"),
                () -> ddl.alterPolicy("db", "t", "p", "true", null),
                () -> ddl.replicaIdentityUsingIndex("db", "t", "i"),
                () -> ddl.clusterOn("db", "t", "i"),
                () -> ddl.renameTable("db", "a", "b"),
                () -> ddl.commentOnIndex("db", "i", "c"),
                () -> ddl.commentOnConstraint("db", "t", "k", "c"),
                () -> ddl.addPrimaryKeyUsingIndex("db", "t", "pk", "i"),
                () -> ddl.addForeignKeyNotValid("db", "t", "fk", List.of("a"), "p", List.of("id"), "SET DEFAULT"));
        for (Executable call : refused) {
            assertThatThrownBy(call::execute).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("not supported on MariaDB yet: ");
        }
        assertThat(noName.version()).isEqualTo(UsersMigration.VERSION);
        Ddl.SyncTrigger withoutVersion = new Ddl.SyncTrigger("db", "t", "tandem", "f", "t", "db_002", List.of(), List.of(),
                List.of(), List.of(), List.of(), List.of(), null, null);
        assertThatThrownBy(() -> ddl.createSyncTrigger(withoutVersion)).hasMessageContaining("migration's name is missing");
    }

    @Test
    void identifiersAreQuotedAndLiteralsEscaped() {
        String db = MariaDb.newDatabase("ddl_quote");
        String weird = "t`a'b\\c";
        MariaDbSteps.run(ddl.createTable(db, weird, List.of(column("id", "INT", false, null))));
        MariaDbSteps.run(ddl.addColumn(db, weird, "c`'", "INT"));
        MariaDbSteps.run(ddl.setColumnSettings(db, weird, "c`'", "x'\\`y", null, List.of(), "comment"));
        MariaDbSteps.run(ddl.setNotNull(db, weird, "c`'"));
        Map<String, Object> column = Rows.query(MariaDb.dataSource(), "SELECT COLUMN_COMMENT AS comment, IS_NULLABLE AS nullable"
                + " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?", db, weird, "c`'").get(0);
        assertThat(column).containsEntry("comment", "x'\\`y").containsEntry("nullable", "NO");
        assertThatThrownBy(() -> ddl.addColumn(db, "t", "a\0b", "INT")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ddl.addColumn(db, "t", "x".repeat(65), "INT")).isInstanceOf(IllegalArgumentException.class);
    }

    private static ColumnDef column(String name, String type, boolean primaryKeyOrNullable, String defaultExpr) {
        boolean pk = name.equals("id");
        return new ColumnDef(name, type, !pk && primaryKeyOrNullable, defaultExpr, pk, false, null, null, null,
                SourceLocation.unknown("test"));
    }
}
