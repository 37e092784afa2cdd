package dev.tandem.mariadb;

import dev.tandem.testing.MariaDb;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static dev.tandem.testing.MariaDb.quote;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the MariaDB dialect builds on, checked against the embedded server (binary log on in ROW format, grants
 * enforced) so that a server version that behaves otherwise fails here first, with the fact named. Each test names
 * the page of the MariaDB manual (mariadb.com/kb) that states the rule; the measurements behind them are in the
 * research note on MariaDB (shared/research/mariadb.md). A version database is a database of views over the base
 * tables of the application's database, one per version.
 */
class MariaDbFactsTest {
    private String app;
    private String v2;

    @BeforeEach
    void databases() {
        app = MariaDb.newDatabase("app");
        v2 = MariaDb.newDatabase("v2");
        MariaDb.exec(app, """
                CREATE TABLE users (
                    id INT AUTO_INCREMENT PRIMARY KEY,
                    name VARCHAR(50) NOT NULL UNIQUE,
                    email VARCHAR(100) NOT NULL DEFAULT 'none',
                    written_by VARCHAR(20) NULL)""");
        MariaDb.exec(v2, "CREATE VIEW users AS SELECT id, name AS username, email FROM " + quote(app) + ".users");
    }

    // ---- Version databases: views that rename columns take writes ----

    /** "Inserting and Updating with Views": a view whose columns are plain column references is updatable. */
    @Test
    void viewThatRenamesColumnsTakesInsertUpdateAndDelete() throws SQLException {
        try (Connection c = connect(v2)) {
            run(c, "INSERT INTO users (username, email) VALUES ('ann', 'ann@example.org')");
            assertThat(run(c, "UPDATE users SET username = 'anne' WHERE username = 'ann'")).isEqualTo(1);
            assertThat(one(c, "SELECT name FROM " + quote(app) + ".users")).isEqualTo("anne");
            assertThat(run(c, "DELETE FROM users WHERE username = 'anne'")).isEqualTo(1);
            assertThat(one(c, "SELECT COUNT(*) FROM " + quote(app) + ".users")).isEqualTo(0L);
            assertThat(one(c, "SELECT IS_UPDATABLE FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '" + v2
                    + "' AND TABLE_NAME = 'users'")).isEqualTo("YES");
        }
    }

    /**
     * "LAST_INSERT_ID" and "AUTO_INCREMENT": an insert through the view draws the base table's next value, and
     * LAST_INSERT_ID() tells it; a column the insert (and the view) leaves out gets the table's default.
     */
    @Test
    void autoIncrementAndLastInsertIdWorkThroughTheView() throws SQLException {
        try (Connection c = connect(v2)) {
            run(c, "INSERT INTO users (username) VALUES ('bob')");
            long id = ((Number) one(c, "SELECT LAST_INSERT_ID()")).longValue();
            assertThat(one(c, "SELECT name FROM " + quote(app) + ".users WHERE id = " + id)).isEqualTo("bob");
            run(c, "INSERT INTO users (username) VALUES ('cy')");
            assertThat(((Number) one(c, "SELECT LAST_INSERT_ID()")).longValue()).isEqualTo(id + 1);
            assertThat(one(c, "SELECT email FROM " + quote(app) + ".users WHERE id = " + id)).isEqualTo("none");
        }
    }

    /**
     * "INSERT ON DUPLICATE KEY UPDATE": works through the view, and its update path fires the base table's BEFORE
     * UPDATE trigger (the one the sync trigger will be), not its BEFORE INSERT trigger a second time.
     */
    @Test
    void onDuplicateKeyUpdateThroughTheViewFiresBeforeUpdateTrigger() throws SQLException {
        MariaDb.exec(app,
                "CREATE TRIGGER users_bi BEFORE INSERT ON users FOR EACH ROW SET NEW.written_by = 'insert'",
                "CREATE TRIGGER users_bu BEFORE UPDATE ON users FOR EACH ROW SET NEW.written_by = 'update'");
        try (Connection c = connect(v2)) {
            run(c, "INSERT INTO users (username, email) VALUES ('dee', 'a') ON DUPLICATE KEY UPDATE email = 'b'");
            assertThat(one(c, "SELECT CONCAT(email, ' ', written_by) FROM " + quote(app) + ".users")).isEqualTo("a insert");
            run(c, "INSERT INTO users (username, email) VALUES ('dee', 'a') ON DUPLICATE KEY UPDATE email = 'b'");
            assertThat(one(c, "SELECT CONCAT(email, ' ', written_by) FROM " + quote(app) + ".users")).isEqualTo("b update");
        }
    }

    /**
     * "REPLACE": works through the view. When it replaces a row, the BEFORE INSERT trigger fires first (with the new
     * row), then the old row's DELETE triggers, then the AFTER INSERT trigger; no UPDATE trigger fires. (The research
     * note had "DELETE then INSERT triggers": the BEFORE INSERT trigger in fact comes before the delete.)
     */
    @Test
    void replaceThroughTheViewFiresBeforeInsertThenDeleteTriggers() throws SQLException {
        MariaDb.exec(app, "CREATE TABLE fired (n INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20))");
        for (String timing : List.of("BEFORE", "AFTER")) {
            for (String event : List.of("INSERT", "UPDATE", "DELETE")) {
                String row = event.equals("DELETE") ? "OLD" : "NEW";
                MariaDb.exec(app, "CREATE TRIGGER " + quote("users_" + timing + "_" + event) + " " + timing + " " + event
                        + " ON users FOR EACH ROW INSERT INTO fired (what) VALUES (CONCAT('" + timing.toLowerCase()
                        + " " + event.toLowerCase() + " ', " + row + ".name))");
            }
        }
        try (Connection c = connect(v2)) {
            run(c, "INSERT INTO users (id, username) VALUES (7, 'eve')");
            run(c, "DELETE FROM " + quote(app) + ".fired");
            run(c, "REPLACE INTO users (id, username) VALUES (7, 'eva')");
            assertThat(column(c, "SELECT what FROM " + quote(app) + ".fired ORDER BY n"))
                    .containsExactly("before insert eva", "before delete eve", "after delete eve", "after insert eva");
        }
    }

    /**
     * "Inserting and Updating with Views": a view column that is an expression cannot be written (1348 on UPDATE,
     * 1471 on INSERT). On 10.11 it also makes the whole view refuse inserts (1471) even of its plain columns; 11.4
     * takes an insert that names plain columns only. (The research note, measured on 10.11 only, had the 10.11
     * rule.) So every column an application writes must be a plain column reference, and a view an application
     * inserts through must have no expression column at all while 10.11 is supported.
     */
    @Test
    void anExpressionColumnCannotBeWrittenAndOn1011BlocksEveryInsert() throws SQLException {
        MariaDb.exec(v2, "CREATE VIEW shout AS SELECT id, name, UPPER(email) AS email FROM " + quote(app) + ".users");
        try (Connection c = connect(v2)) {
            assertThat(errorOf(c, "INSERT INTO shout (name, email) VALUES ('fay', 'x')")).isEqualTo(1471);
            if (serverMajor(c).equals("10.11")) {
                assertThat(errorOf(c, "INSERT INTO shout (name) VALUES ('fay')")).isEqualTo(1471);
            } else {
                assertThat(run(c, "INSERT INTO shout (name) VALUES ('fay')")).isEqualTo(1);
            }
            run(c, "INSERT INTO users (username) VALUES ('gil')");
            assertThat(errorOf(c, "UPDATE shout SET email = 'x'")).isEqualTo(1348);
            assertThat(run(c, "UPDATE shout SET name = 'gail' WHERE name = 'gil'")).isEqualTo(1);
        }
    }

    /**
     * "Inserting and Updating with Views" and "Trigger Overview": an insert through a view that leaves out a NOT NULL
     * column without default is refused (1423), unless a BEFORE INSERT trigger on the base table gives the column a
     * value. What the trigger reads there as NEW.column differs: NULL on 11.4, the type's implicit default ('' for a
     * string) on 10.11, so a sync trigger cannot tell "left out" from "written as ''" on 10.11. (Not in the research
     * note.)
     */
    @Test
    void aViewThatLeavesOutARequiredColumnNeedsATriggerToFillIt() throws SQLException {
        MariaDb.exec(app, "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT NOT NULL, author VARCHAR(20) NOT NULL,"
                + " seen VARCHAR(20) NULL)");
        MariaDb.exec(v2, "CREATE VIEW notes AS SELECT id, body FROM " + quote(app) + ".notes");
        try (Connection c = connect(v2)) {
            assertThat(errorOf(c, "INSERT INTO notes (id, body) VALUES (1, 'x')")).isEqualTo(1423);
            MariaDb.exec(app, "CREATE TRIGGER notes_bi BEFORE INSERT ON notes FOR EACH ROW"
                    + " SET NEW.seen = QUOTE(NEW.author), NEW.author = 'v2'");
            run(c, "INSERT INTO notes (id, body) VALUES (1, 'x')");
            assertThat(one(c, "SELECT author FROM " + quote(app) + ".notes")).isEqualTo("v2");
            assertThat(one(c, "SELECT seen FROM " + quote(app) + ".notes"))
                    .isEqualTo(serverMajor(c).equals("10.11") ? "''" : "NULL");
        }
    }

    // ---- Which version wrote a row ----

    /**
     * "User-Defined Variables": a user variable the session sets is visible inside a trigger it fires, through a
     * view of another database too; a session that never set it reads NULL there.
     */
    @Test
    void aTriggerReadsTheUserVariableTheSessionSet() throws SQLException {
        versionStampingTriggers();
        try (Connection newVersion = connect(v2); Connection oldVersion = connect(app)) {
            run(newVersion, "SET @tandem_version = 'v2'");
            run(newVersion, "INSERT INTO users (username) VALUES ('gus')");
            run(oldVersion, "INSERT INTO users (name) VALUES ('hal')");
            assertThat(one(oldVersion, "SELECT written_by FROM users WHERE name = 'gus'")).isEqualTo("v2");
            assertThat(one(oldVersion, "SELECT written_by FROM users WHERE name = 'hal'")).isEqualTo("old");
            run(oldVersion, "UPDATE users SET email = 'x' WHERE name = 'gus'");
            assertThat(one(oldVersion, "SELECT written_by FROM users WHERE name = 'gus'")).isEqualTo("old");
            run(newVersion, "UPDATE users SET email = 'y' WHERE username = 'hal'");
            assertThat(one(oldVersion, "SELECT written_by FROM users WHERE name = 'hal'")).isEqualTo("v2");
        }
    }

    /**
     * mariadb-java-client's and MySQL Connector/J's {@code sessionVariables} URL option sets a user variable on every
     * new connection (the quotes around the value are required), so an application without Tandem's client can
     * name its version in its URL.
     */
    @Test
    void sessionVariablesInTheJdbcUrlSetTheVersion() throws SQLException {
        versionStampingTriggers();
        String options = "?user=root&password=" + dev.tandem.testing.MariaDbServer.PASSWORD
                + "&sessionVariables=@tandem_version='v2'";
        try (Connection maria = DriverManager.getConnection(MariaDb.url(v2) + options)) {
            assertThat(one(maria, "SELECT @tandem_version")).isEqualTo("v2");
            run(maria, "INSERT INTO users (username) VALUES ('ida')");
        }
        String mysql = "jdbc:mysql://127.0.0.1:" + MariaDb.server().port() + "/" + v2 + options
                + "&sslMode=DISABLED&allowPublicKeyRetrieval=true";
        try (Connection my = DriverManager.getConnection(mysql)) {
            assertThat(my.getClass().getName()).startsWith("com.mysql.");
            run(my, "INSERT INTO users (username) VALUES ('jo')");
        }
        try (Connection c = connect(app)) {
            assertThat(column(c, "SELECT CONCAT(name, ' ', written_by) FROM users ORDER BY name"))
                    .containsExactly("ida v2", "jo v2");
        }
    }

    /**
     * "DATABASE()": inside a trigger it is the trigger's database, not the session's default database, so the
     * version database an application writes through cannot be told from it.
     */
    @Test
    void insideATriggerDatabaseIsTheTriggersDatabase() throws SQLException {
        MariaDb.exec(app, "CREATE TRIGGER users_bi BEFORE INSERT ON users FOR EACH ROW SET NEW.written_by = DATABASE()");
        try (Connection c = connect(v2)) {
            assertThat(one(c, "SELECT DATABASE()")).isEqualTo(v2);
            run(c, "INSERT INTO users (username) VALUES ('kim')");
            assertThat(one(c, "SELECT written_by FROM " + quote(app) + ".users")).isEqualTo(app);
        }
    }

    /**
     * "USER()" and "CURRENT_USER": inside a trigger USER() is the login that wrote, CURRENT_USER() the trigger's
     * definer; so per-version logins can tell versions apart.
     */
    @Test
    void insideATriggerUserIsTheLoginAndCurrentUserTheDefiner() throws SQLException {
        MariaDb.exec(app, "ALTER TABLE users MODIFY written_by VARCHAR(200)",
                "CREATE TRIGGER users_bi BEFORE INSERT ON users FOR EACH ROW"
                        + " SET NEW.written_by = CONCAT(USER(), ' ', CURRENT_USER())");
        String writer = MariaDb.newUser("writer", "INSERT, SELECT ON " + quote(v2) + ".*");
        try (Connection c = MariaDb.dataSourceAs(writer, v2).getConnection()) {
            run(c, "INSERT INTO users (username) VALUES ('lee')");
        }
        try (Connection c = connect(app)) {
            assertThat(one(c, "SELECT written_by FROM users")).isEqualTo(writer + "@127.0.0.1 root@127.0.0.1");
        }
    }

    // ---- Triggers: order and privileges ----

    /**
     * "CREATE TRIGGER" (FOLLOWS / PRECEDES, MariaDB 10.2.3+): several triggers per table, timing and event fire in
     * the order information_schema.TRIGGERS gives as ACTION_ORDER, which FOLLOWS and PRECEDES set.
     */
    @Test
    void triggersOfOneEventFireInTheOrderFollowsAndPrecedesSet() throws SQLException {
        MariaDb.exec(app,
                "CREATE TRIGGER users_user BEFORE INSERT ON users FOR EACH ROW SET NEW.written_by = CONCAT(NEW.written_by, 'u')",
                "CREATE TRIGGER users_sync BEFORE INSERT ON users FOR EACH ROW FOLLOWS users_user"
                        + " SET NEW.written_by = CONCAT(NEW.written_by, 's')",
                "CREATE TRIGGER users_first BEFORE INSERT ON users FOR EACH ROW PRECEDES users_user"
                        + " SET NEW.written_by = CONCAT(NEW.written_by, 'f')");
        try (Connection c = connect(app)) {
            run(c, "INSERT INTO users (name, written_by) VALUES ('max', '')");
            assertThat(one(c, "SELECT written_by FROM users")).isEqualTo("fus");
            assertThat(column(c, "SELECT CONCAT(ACTION_ORDER, ' ', TRIGGER_NAME) FROM information_schema.TRIGGERS"
                    + " WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY ACTION_ORDER"))
                    .containsExactly("1 users_first", "2 users_user", "3 users_sync");
        }
    }

    /**
     * "Binary Logging of Stored Routines": with the binary log on and log_bin_trust_function_creators = 0, a user
     * without SUPER may neither create nor drop a trigger (1419), whatever else is granted.
     */
    @Test
    void withoutTrustedCreatorsOnlySuperMayCreateOrDropTriggers() throws Exception {
        MariaDb.exec(app, "CREATE TRIGGER users_bi BEFORE INSERT ON users FOR EACH ROW SET NEW.written_by = 'x'");
        String migrator = MariaDb.newUser("migrator", "ALL PRIVILEGES ON " + quote(app) + ".*");
        try (AutoCloseable ignored = MariaDb.trustFunctionCreators(false);
             Connection c = MariaDb.dataSourceAs(migrator, app).getConnection()) {
            assertThat(errorOf(c, "CREATE TRIGGER users_bu BEFORE UPDATE ON users FOR EACH ROW SET NEW.written_by = 'y'"))
                    .isEqualTo(1419);
            assertThat(errorOf(c, "DROP TRIGGER users_bi")).isEqualTo(1419);
        }
    }

    /**
     * "Binary Logging of Stored Routines" and "GRANT" (TRIGGER privilege): once a DBA sets
     * log_bin_trust_function_creators = 1, the TRIGGER privilege on the table is enough, and without it the
     * statement is refused (1142).
     */
    @Test
    void withTrustedCreatorsTheTriggerPrivilegeIsEnough() throws Exception {
        String withTrigger = MariaDb.newUser("migrator", "SELECT, INSERT, UPDATE, TRIGGER ON " + quote(app) + ".*");
        String without = MariaDb.newUser("nontrigger", "SELECT, INSERT, UPDATE ON " + quote(app) + ".*");
        try (AutoCloseable ignored = MariaDb.trustFunctionCreators(true)) {
            try (Connection c = MariaDb.dataSourceAs(without, app).getConnection()) {
                assertThat(errorOf(c, "CREATE TRIGGER users_bi BEFORE INSERT ON users FOR EACH ROW SET NEW.written_by = 'x'"))
                        .isEqualTo(1142);
            }
            try (Connection c = MariaDb.dataSourceAs(withTrigger, app).getConnection()) {
                run(c, "CREATE TRIGGER users_bi BEFORE INSERT ON users FOR EACH ROW SET NEW.written_by = 'x'");
                run(c, "INSERT INTO users (name) VALUES ('ned')");
                assertThat(one(c, "SELECT written_by FROM users")).isEqualTo("x");
                run(c, "DROP TRIGGER users_bi");
            }
        }
    }

    /**
     * "Trigger Overview" / "CREATE TRIGGER" (DEFINER): a trigger runs with its definer's privileges, so when the
     * definer loses TRIGGER every write to the table fails (1142), and when the definer is dropped too (1449).
     */
    @Test
    void aTriggerWhoseDefinerLostItsPrivilegeBlocksEveryWrite() throws Exception {
        String migrator = MariaDb.newUser("migrator", "SELECT, INSERT, UPDATE, TRIGGER ON " + quote(app) + ".*");
        try (AutoCloseable ignored = MariaDb.trustFunctionCreators(true);
             Connection c = MariaDb.dataSourceAs(migrator, app).getConnection()) {
            run(c, "CREATE TRIGGER users_bi BEFORE INSERT ON users FOR EACH ROW SET NEW.written_by = 'x'");
        }
        try (Connection c = connect(app)) {
            run(c, "INSERT INTO users (name) VALUES ('ute')");
            MariaDb.exec("REVOKE TRIGGER ON " + quote(app) + ".* FROM " + MariaDb.account(migrator));
            assertThat(errorOf(c, "INSERT INTO users (name) VALUES ('val')")).isEqualTo(1142);
            MariaDb.exec("DROP USER " + MariaDb.account(migrator));
            assertThat(errorOf(c, "INSERT INTO users (name) VALUES ('val')")).isEqualTo(1449);
            assertThat(one(c, "SELECT COUNT(*) FROM users")).isEqualTo(1L);
        }
    }

    /**
     * "ALTER TABLE" (RENAME COLUMN) and "CREATE VIEW": a view and a trigger keep the column name they were created
     * with, so renaming a base column breaks the view (1356) and every insert that fires the trigger (1054). Hence
     * the dialect keeps physical names and aliases them in the version views.
     */
    @Test
    void renamingABaseColumnBreaksViewsAndTriggersThatNameIt() throws SQLException {
        MariaDb.exec(app, "CREATE TRIGGER users_bi BEFORE INSERT ON users FOR EACH ROW SET NEW.email = LOWER(NEW.email)");
        try (Connection c = connect(app)) {
            run(c, "ALTER TABLE users RENAME COLUMN email TO mail, ALGORITHM=INSTANT, LOCK=NONE");
            assertThat(errorOf(c, "SELECT * FROM " + quote(v2) + ".users")).isEqualTo(1356);
            assertThat(errorOf(c, "INSERT INTO users (name) VALUES ('wes')")).isEqualTo(1054);
        }
    }

    // ---- Lock-safe DDL ----

    /**
     * "WAIT and NOWAIT" and "ALTER TABLE" (ALGORITHM, LOCK): an instant ADD COLUMN still needs the table's exclusive
     * metadata lock; while a transaction holds the table, {@code WAIT 0.2} gives up at once with 1205 instead of
     * queueing (and stalling every later reader) for lock_wait_timeout, and the same statement succeeds once the
     * transaction ends.
     */
    @Test
    void instantAddColumnWithWaitGivesUpFastBehindAnOpenTransaction() throws SQLException {
        String alter = "ALTER TABLE users WAIT 0.2 ADD COLUMN phone VARCHAR(20) NULL, ALGORITHM=INSTANT, LOCK=NONE";
        try (Connection holder = connect(app); Connection migrator = connect(app)) {
            holder.setAutoCommit(false);
            one(holder, "SELECT COUNT(*) FROM users");
            long started = System.nanoTime();
            assertThat(errorOf(migrator, alter)).isEqualTo(1205);
            long waitedMs = (System.nanoTime() - started) / 1_000_000;
            assertThat(waitedMs).as("WAIT 0.2 gave up after %d ms", waitedMs).isLessThan(500L);
            holder.commit();
            run(migrator, alter);
            assertThat(one(migrator, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                    + " AND TABLE_NAME = 'users' AND COLUMN_NAME = 'phone'")).isEqualTo(1L);
        }
    }

    /**
     * "WAIT and NOWAIT": the wait is whole seconds, a fraction is dropped: WAIT 0.9 gives up as fast as NOWAIT and
     * WAIT 1.5 after one second. (The research note read "WAIT 0.2" as a 0.2 s wait; its 42 ms worst stall for
     * WAIT 0.2 against 998 ms for WAIT 1 fits a WAIT 0.) The shortest real wait is WAIT 1 or lock_wait_timeout=1.
     */
    @Test
    void waitTakesWholeSecondsOnly() throws SQLException {
        try (Connection holder = connect(app); Connection migrator = connect(app)) {
            holder.setAutoCommit(false);
            one(holder, "SELECT COUNT(*) FROM users");
            assertThat(millisToGiveUp(migrator, "WAIT 0.9")).isLessThan(500L);
            assertThat(millisToGiveUp(migrator, "WAIT 1.5")).isBetween(950L, 1_450L);
            holder.rollback();
        }
    }

    private static long millisToGiveUp(Connection migrator, String wait) {
        long started = System.nanoTime();
        assertThat(errorOf(migrator, "ALTER TABLE users " + wait + " ADD COLUMN phone VARCHAR(20) NULL,"
                + " ALGORITHM=INSTANT, LOCK=NONE")).isEqualTo(1205);
        return (System.nanoTime() - started) / 1_000_000;
    }

    /**
     * "lock_wait_timeout" (0 allowed since 10.3, "WAIT and NOWAIT"): 0 makes every statement NOWAIT, CREATE TRIGGER too,
     * which has no NOWAIT clause: it fails at once (1205) and never queues: the executor's lock probe. (A 5 ms
     * max_statement_time ends the wait that fast too, but a read-then-write transaction's write comes within those
     * 5 ms and deadlocks, 1213: ReadThenWriteDuringDdlTest.)
     */
    @Test
    void lockWaitTimeoutZeroMakesEveryStatementNowait() throws SQLException {
        try (Connection holder = connect(app); Connection migrator = connect(app)) {
            holder.setAutoCommit(false);
            one(holder, "SELECT COUNT(*) FROM users");
            run(migrator, "SET SESSION lock_wait_timeout = 0");
            long slowest = 0;
            for (int i = 0; i < 20; i++) {
                long started = System.nanoTime();
                assertThat(errorOf(migrator, "CREATE TRIGGER users_probe BEFORE INSERT ON users FOR EACH ROW SET @x = 1"))
                        .isEqualTo(1205);
                slowest = Math.max(slowest, (System.nanoTime() - started) / 1_000_000);
            }
            assertThat(slowest).as("slowest of 20 probes, ms").isLessThan(100L);
            holder.rollback();
            run(migrator, "CREATE TRIGGER users_probe BEFORE INSERT ON users FOR EACH ROW SET @x = 1");
            System.out.println("lock_wait_timeout 0: slowest of 20 refusals after " + slowest + " ms");
        }
    }

    /**
     * "KILL" and "information_schema.PROCESSLIST": a login lists its own sessions and ends its own statements by query id
     * without PROCESS or SUPER. An in-place index build waiting for the table's metadata lock shows the state
     * {@code Waiting for table metadata lock}, at its start (a transaction holds the table) and again at its end (a
     * transaction opened on the table while it built); killed there, it fails with 1317, leaves no index, and a reader
     * queued behind its request goes on at once. What {@code MetadataLockWatchdog} relies on.
     */
    @Test
    void aKilledMetadataLockWaitLeavesNothingAndFreesTheQueue() throws Exception {
        MariaDb.exec(app, "INSERT INTO users (name, email) SELECT CONCAT('u', seq), CONCAT(seq, '@x') FROM seq_1_to_200000");
        String login = MariaDb.newUser("mdl", "ALL ON " + quote(app) + ".*");
        javax.sql.DataSource asLogin = MariaDb.dataSourceAs(login, app);
        String build = "ALTER TABLE users WAIT 5 ADD INDEX users_email (email), ALGORITHM=NOCOPY, LOCK=NONE";
        for (boolean atItsEnd : new boolean[] {false, true}) {
            try (Connection holder = connect(app); Connection migrator = asLogin.getConnection();
                 Connection watcher = asLogin.getConnection(); Connection reader = connect(app)) {
                long id = ((Number) one(migrator, "SELECT CONNECTION_ID()")).longValue();
                holder.setAutoCommit(false);
                if (!atItsEnd) one(holder, "SELECT COUNT(*) FROM users WHERE id = 1");
                var alter = java.util.concurrent.CompletableFuture.supplyAsync(() -> errorOf(migrator, build));
                String building = "";
                if (atItsEnd) {
                    // Once it builds (holding only a shared lock), a transaction reads the table and stays open.
                    building = waitForState(watcher, id, "altering table"::equals, 5_000);
                    assertThat(building).isEqualTo("altering table");
                    one(holder, "SELECT COUNT(*) FROM users WHERE id = 1");
                }
                String state = waitForState(watcher, id, "Waiting for table metadata lock"::equals, 10_000);
                assertThat(state).as(atItsEnd ? "at its end" : "at its start").isEqualTo("Waiting for table metadata lock");
                var read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return one(reader, "SELECT COUNT(*) FROM users WHERE id = 2");
                    } catch (SQLException e) {
                        throw new RuntimeException(e);
                    }
                });
                Thread.sleep(200);
                assertThat(read).as("the reader queues behind the build's request").isNotDone();
                long queryId = ((Number) one(watcher, "SELECT QUERY_ID FROM information_schema.PROCESSLIST WHERE ID = " + id)).longValue();
                long killedAt = System.nanoTime();
                run(watcher, "KILL QUERY ID " + queryId);
                read.get(5, java.util.concurrent.TimeUnit.SECONDS);
                long readerMs = (System.nanoTime() - killedAt) / 1_000_000;
                assertThat(alter.get(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(1317);
                long alterMs = (System.nanoTime() - killedAt) / 1_000_000;
                assertThat(readerMs).as("reader went on %d ms after the kill", readerMs).isLessThan(200L);
                assertThat(one(watcher, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"
                        + " AND TABLE_NAME = 'users' AND INDEX_NAME = 'users_email'")).isEqualTo(0L);
                assertThat(one(migrator, "SELECT 1")).as("the connection stays usable").isEqualTo(1);
                holder.rollback();
                System.out.printf("KILL QUERY ID (%s, %s): reader on after %d ms, ALTER failed after %d ms%n",
                        atItsEnd ? "at its end, after '" + building + "'" : "at its start", MariaDb.serverVersion(), readerMs, alterMs);
            }
        }
        try (Connection c = connect(app)) {
            run(c, build);   // nothing was left behind that would make the build fail
        }
    }

    private static String waitForState(Connection watcher, long id, java.util.function.Predicate<String> wanted, long ms)
            throws Exception {
        long deadline = System.nanoTime() + ms * 1_000_000;
        String state = null;
        while (System.nanoTime() < deadline) {
            try (Statement st = watcher.createStatement();
                 ResultSet rs = st.executeQuery("SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = " + id)) {
                state = rs.next() ? rs.getString(1) : null;
            }
            if (wanted.test(state)) return state;
            Thread.sleep(2);
        }
        return state;
    }

    /**
     * "Metadata Locking": a catalog-only statement on a table (CREATE or DROP TRIGGER, an INSTANT ADD or DROP COLUMN)
     * that waits for its lock while a transaction has read the table makes that transaction's next write the
     * deadlock victim (1213) at once, and then completes: the write needs a metadata lock the waiting statement's
     * request (or the lock it already holds) stands in front of, while the statement waits for the read's lock, and
     * MariaDB gives way to the DDL. So any wait, however bounded, costs every such transaction caught between its read
     * and its write; the executor's lock probe ({@code lock_wait_timeout = 0}) fails instead (1205) and the write goes
     * through. The victims of {@code ReadThenWriteDuringDdlTest} are these (docs/DESIGN.md, "DDL and lock waits on
     * MariaDB").
     */
    @Test
    void aWaitingCatalogChangeMakesATransactionThatReadTheTableTheDeadlockVictim() throws Exception {
        MariaDb.exec(app, "CREATE TRIGGER users_old BEFORE UPDATE ON users FOR EACH ROW SET @x = 1",
                "INSERT INTO users (name) VALUES ('ann')");
        List<String> changes = List.of(
                "CREATE OR REPLACE TRIGGER users_new BEFORE INSERT ON users FOR EACH ROW SET @y = 1",
                "DROP TRIGGER users_old",
                "ALTER TABLE users ADD COLUMN note TEXT NULL, ALGORITHM=INSTANT, LOCK=NONE",
                "ALTER TABLE users DROP COLUMN note, ALGORITHM=INSTANT, LOCK=NONE");
        for (String change : changes) {
            try (Connection reader = connect(app); Connection migrator = connect(app); Connection watcher = MariaDb.watcher().getConnection()) {
                reader.setAutoCommit(false);
                one(reader, "SELECT email FROM users WHERE name = 'ann'");
                long migratorId = ((Number) one(migrator, "SELECT CONNECTION_ID()")).longValue();
                run(migrator, "SET SESSION lock_wait_timeout = 1, max_statement_time = 0.5");   // the executor's bounded wait
                java.util.concurrent.CompletableFuture<Void> ddl = java.util.concurrent.CompletableFuture.runAsync(() -> {
                    try {
                        run(migrator, change);
                    } catch (SQLException e) {
                        throw new IllegalStateException(e.getErrorCode() + " " + e.getMessage(), e);
                    }
                });
                long deadline = System.nanoTime() + 2_000_000_000L;
                while (!"Waiting for table metadata lock".equals(stateOf(watcher, migratorId)) && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertThat(stateOf(watcher, migratorId)).as(change).isEqualTo("Waiting for table metadata lock");
                assertThat(errorOf(reader, "UPDATE users SET email = 'x' WHERE name = 'ann'")).as(change).isEqualTo(1213);
                reader.rollback();
                ddl.get(5, java.util.concurrent.TimeUnit.SECONDS);   // and the statement completes
            }
        }
        try (Connection reader = connect(app); Connection migrator = connect(app)) {
            reader.setAutoCommit(false);
            one(reader, "SELECT email FROM users WHERE name = 'ann'");
            run(migrator, "SET SESSION lock_wait_timeout = 0");
            assertThat(errorOf(migrator, "CREATE OR REPLACE TRIGGER users_new BEFORE INSERT ON users FOR EACH ROW SET @y = 2")).isEqualTo(1205);
            assertThat(run(reader, "UPDATE users SET email = 'y' WHERE name = 'ann'")).isEqualTo(1);
            reader.commit();
        }
    }

    private static String stateOf(Connection watcher, long connection) throws SQLException {
        try (Statement st = watcher.createStatement();
             ResultSet rs = st.executeQuery("SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = " + connection)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** "WAIT and NOWAIT": NOWAIT gives up at once (1205) while a transaction holds the table. */
    @Test
    void nowaitGivesUpAtOnceBehindAnOpenTransaction() throws SQLException {
        try (Connection holder = connect(app); Connection migrator = connect(app)) {
            holder.setAutoCommit(false);
            one(holder, "SELECT COUNT(*) FROM users");
            long started = System.nanoTime();
            assertThat(errorOf(migrator, "ALTER TABLE users NOWAIT ADD COLUMN phone VARCHAR(20) NULL,"
                    + " ALGORITHM=INSTANT, LOCK=NONE")).isEqualTo(1205);
            assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(1_000L);
            holder.rollback();
        }
    }

    /**
     * "InnoDB Online DDL Operations with ALGORITHM=INSTANT": a NOT NULL column with a constant default is added
     * instantly to a table with rows, under NO_ZERO_DATE too, for every type the dialect gives a placeholder (the rows
     * read it), and its default is dropped instantly; from then on an insert that leaves it out fails (1364) and an
     * explicit NULL too (1048). Making an existing column NOT NULL instead is INPLACE: it reads every row.
     */
    @Test
    void aNotNullColumnIsAddedInstantlyWithAPlaceholderThatIsDroppedInstantly() throws SQLException {
        MariaDb.exec(app, "INSERT INTO users (name) SELECT CONCAT('u', seq) FROM seq_1_to_500");
        try (Connection c = connect(app)) {
            run(c, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_ZERO_DATE,NO_ZERO_IN_DATE')");
            String[][] typed = {{"INT", "0"}, {"DECIMAL(10,2)", "0.00"}, {"VARCHAR(20)", ""}, {"TEXT", ""},
                    {"ENUM('b','a')", "b"}, {"DATE", "1000-01-01"}, {"DATETIME(6)", "1970-01-01 00:00:01.000000"},
                    {"TIMESTAMP", "1970-01-01 00:00:01"}, {"TIME", "00:00:00"}, {"YEAR", "1901"},
                    {"UUID", "00000000-0000-0000-0000-000000000000"}, {"INET6", "::"}, {"JSON", "null"}};
            for (int i = 0; i < typed.length; i++) {
                String column = "c" + i;
                run(c, new dev.tandem.dialect.mariadb.MariaDbDdl().addNotNullColumn(app, "users", column, typed[i][0], null,
                        null).sql());
                assertThat(one(c, "SELECT CAST(MIN(" + column + ") AS CHAR) FROM users")).as(typed[i][0]).isEqualTo(typed[i][1]);
                run(c, "ALTER TABLE users ALTER COLUMN " + column + " DROP DEFAULT, ALGORITHM=INSTANT, LOCK=NONE");
            }
            assertThat(errorOf(c, "INSERT INTO users (name, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12)"
                    + " VALUES ('x', 0, '', '', 'a', '2020-01-01', NOW(), NOW(), '00:00', 2020, UUID(), '::1', '{}')")).isEqualTo(1364);
            assertThat(errorOf(c, "UPDATE users SET c0 = NULL WHERE id = 1")).isEqualTo(1048);
            assertThat(errorOf(c, "ALTER TABLE users MODIFY written_by VARCHAR(20) NOT NULL, ALGORITHM=INSTANT")).isEqualTo(1845);
        }
    }

    /**
     * "InnoDB Online DDL Operations with ALGORITHM=INSTANT" / "...INPLACE": INT to BIGINT is a copy of the table
     * (1846 when INSTANT or INPLACE is demanded), so the dialect must do it through a shadow column.
     */
    @Test
    void intToBigintIsRefusedInstantAndInPlace() throws SQLException {
        MariaDb.exec(app, "CREATE TABLE counters (id INT PRIMARY KEY, n INT NOT NULL)", "INSERT INTO counters VALUES (1, 5)");
        try (Connection c = connect(app)) {
            assertThat(errorOf(c, "ALTER TABLE counters MODIFY n BIGINT NOT NULL, ALGORITHM=INSTANT")).isEqualTo(1846);
            assertThat(errorOf(c, "ALTER TABLE counters MODIFY n BIGINT NOT NULL, ALGORITHM=INPLACE, LOCK=NONE")).isEqualTo(1846);
            assertThat(errorOf(c, "ALTER TABLE counters MODIFY n BIGINT NOT NULL, ALGORITHM=NOCOPY")).isEqualTo(1846);
            run(c, "ALTER TABLE counters MODIFY n BIGINT NOT NULL, ALGORITHM=COPY");   // the statement itself is sound
            assertThat(one(c, "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                    + " AND TABLE_NAME = 'counters' AND COLUMN_NAME = 'n'")).isEqualTo("bigint(20)");
        }
    }

    /**
     * "InnoDB Online DDL Operations with ALGORITHM=INSTANT": adding a column anywhere, dropping one, renaming one,
     * setting a default, and contract's swap of a shadow column into the old name in one statement are all instant.
     */
    @Test
    void theColumnChangesTheDialectPlansAreInstant() throws SQLException {
        MariaDb.exec(app, "INSERT INTO users (name) VALUES ('ola')");
        try (Connection c = connect(app)) {
            for (String change : List.of(
                    "ADD COLUMN n_big BIGINT NULL AFTER id",
                    "ADD COLUMN flag TINYINT NOT NULL DEFAULT 0",
                    "ALTER COLUMN email SET DEFAULT 'n/a'",
                    "RENAME COLUMN flag TO active",
                    "DROP COLUMN active",
                    "DROP COLUMN written_by, RENAME COLUMN n_big TO written_by")) {
                run(c, "ALTER TABLE users " + change + ", ALGORITHM=INSTANT, LOCK=NONE");
            }
            assertThat(column(c, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                    + " AND TABLE_NAME = 'users' ORDER BY ORDINAL_POSITION")).containsExactly("id", "written_by", "name", "email");
        }
    }

    /**
     * "InnoDB Online DDL Operations with ALGORITHM=INPLACE": NULL to NOT NULL is in place without blocking writes,
     * and refused (1265, data truncated) while a NULL remains, which leaves the table as it was.
     */
    @Test
    void notNullIsInPlaceAndRefusedWhileNullsRemain() throws SQLException {
        MariaDb.exec(app, "INSERT INTO users (name) VALUES ('pam')");
        try (Connection c = connect(app)) {
            String alter = "ALTER TABLE users MODIFY written_by VARCHAR(20) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE";
            assertThat(errorOf(c, alter)).isEqualTo(1265);
            assertThat(one(c, "SELECT IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                    + " AND TABLE_NAME = 'users' AND COLUMN_NAME = 'written_by'")).isEqualTo("YES");
            run(c, "UPDATE users SET written_by = 'old'");
            run(c, alter);
        }
    }

    // ---- The migration lock ----

    /**
     * "GET_LOCK", "IS_USED_LOCK", "RELEASE_LOCK": a named lock belongs to a session (another session cannot take or
     * release it), outlives COMMIT and ROLLBACK, is counted when taken twice, and is released when its session
     * disconnects.
     */
    @Test
    void namedLocksBelongToTheSessionAndGoWithIt() throws Exception {
        String lock = "'tandem." + app + "'";
        try (Connection other = connect(null)) {
            long holderId;
            try (Connection holder = connect(null)) {
                holderId = ((Number) one(holder, "SELECT CONNECTION_ID()")).longValue();
                assertThat(one(holder, "SELECT GET_LOCK(" + lock + ", 0)")).isIn(1, 1L);
                assertThat(one(other, "SELECT GET_LOCK(" + lock + ", 0)")).isIn(0, 0L);
                assertThat(((Number) one(other, "SELECT IS_USED_LOCK(" + lock + ")")).longValue()).isEqualTo(holderId);
                assertThat(one(other, "SELECT RELEASE_LOCK(" + lock + ")")).isIn(0, 0L);
                holder.setAutoCommit(false);
                holder.rollback();
                assertThat(one(other, "SELECT IS_FREE_LOCK(" + lock + ")")).isIn(0, 0L);
                holder.setAutoCommit(true);
                assertThat(one(holder, "SELECT GET_LOCK(" + lock + ", 0)")).isIn(1, 1L);
                assertThat(one(holder, "SELECT RELEASE_LOCK(" + lock + ")")).isIn(1, 1L);
                assertThat(one(other, "SELECT IS_FREE_LOCK(" + lock + ")")).as("taken twice, released once").isIn(0, 0L);
            }
            long deadline = System.nanoTime() + 5_000_000_000L;   // the server ends the session asynchronously
            while (((Number) one(other, "SELECT IS_FREE_LOCK(" + lock + ")")).intValue() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(one(other, "SELECT GET_LOCK(" + lock + ", 0)")).isIn(1, 1L);
            assertThat(((Number) one(other, "SELECT IS_USED_LOCK(" + lock + ")")).longValue()).isNotEqualTo(holderId);
        }
    }

    // ---- Server settings readable without SUPER ----

    /**
     * "Replication and Binary Log System Variables": a login with no privilege at all reads log_bin, binlog_format,
     * log_bin_trust_function_creators and the GTID positions; SHOW REPLICA STATUS needs SUPER or SLAVE MONITOR (1227).
     */
    @Test
    void binaryLogSettingsAreReadableWithoutSuper() throws SQLException {
        String nobody = MariaDb.newUser("nobody");
        try (Connection c = MariaDb.dataSourceAs(nobody).getConnection()) {
            assertThat(one(c, "SELECT @@GLOBAL.binlog_format")).isEqualTo("ROW");
            assertThat(one(c, "SELECT @@GLOBAL.log_bin")).isIn(1, 1L);
            assertThat(one(c, "SELECT @@GLOBAL.log_bin_trust_function_creators")).isIn(0, 0L);
            assertThat(one(c, "SELECT @@GLOBAL.gtid_slave_pos")).isNotNull();
            assertThat(one(c, "SELECT @@GLOBAL.gtid_binlog_pos")).isNotNull();
            assertThat(errorOf(c, "SHOW REPLICA STATUS")).isEqualTo(1227);
        }
    }

    /**
     * "SET TRANSACTION" and "Binary Log Formats": READ COMMITTED works with ROW binary logging, and is refused with
     * STATEMENT (1665: InnoDB logs only rows at READ COMMITTED), which is why the dialect requires ROW.
     */
    @Test
    void readCommittedWritesNeedRowBinaryLogging() throws SQLException {
        MariaDb.exec(app, "INSERT INTO users (name) VALUES ('quin'), ('rae')");
        try (Connection backfill = connect(app); Connection writer = connect(app)) {
            run(backfill, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
            backfill.setAutoCommit(false);
            assertThat(run(backfill, "UPDATE users SET written_by = 'backfill' WHERE name = 'quin'")).isEqualTo(1);
            run(writer, "INSERT INTO users (name) VALUES ('sam')");
            assertThat(one(backfill, "SELECT COUNT(*) FROM users")).as("sees the other's commit at once").isEqualTo(3L);
            backfill.commit();

            run(backfill, "SET SESSION binlog_format = 'STATEMENT'");
            assertThat(errorOf(backfill, "UPDATE users SET written_by = 'backfill' WHERE name = 'rae'")).isEqualTo(1665);
            backfill.rollback();
        }
    }

    // ---- helpers ----

    /** BEFORE INSERT and BEFORE UPDATE triggers that stamp each row with @tandem_version, or 'old' without it. */
    private void versionStampingTriggers() {
        MariaDb.exec(app,
                "CREATE TRIGGER users_bi BEFORE INSERT ON users FOR EACH ROW SET NEW.written_by = COALESCE(@tandem_version, 'old')",
                "CREATE TRIGGER users_bu BEFORE UPDATE ON users FOR EACH ROW SET NEW.written_by = COALESCE(@tandem_version, 'old')");
    }

    /** "10.11" or "11.4", from VERSION(). */
    private static String serverMajor(Connection c) throws SQLException {
        String[] parts = ((String) one(c, "SELECT VERSION()")).split("\\.");
        return parts[0] + "." + parts[1];
    }

    private static Connection connect(String database) throws SQLException {
        return MariaDb.dataSource(database).getConnection();
    }

    private static int run(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            return st.executeUpdate(sql);
        }
    }

    private static Object one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).as("a row from %s", sql).isTrue();
            return rs.getObject(1);
        }
    }

    private static List<String> column(Connection c, String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) values.add(rs.getString(1));
        }
        return values;
    }

    /** The server's error code for {@code sql}; fails the test when the statement succeeds. */
    private static int errorOf(Connection c, String sql) {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            return e.getErrorCode();
        }
        throw new AssertionError("expected an error from: " + sql);
    }
}
