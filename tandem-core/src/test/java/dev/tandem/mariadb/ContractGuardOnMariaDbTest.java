package dev.tandem.mariadb;

import dev.tandem.IgnoredSessions;
import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.dialect.mariadb.MariaDbDialect;
import dev.tandem.engine.Names;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.MariaDbServer;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the contract guard sees on MariaDB, where sessions have no names for others to read: the version that ran
 * before Tandem uses the managed database itself, as Tandem does, and only Tandem's mark on its own sessions tells them
 * apart; a login without PROCESS sees only its own sessions; a per-version login is the new version by its name.
 */
class ContractGuardOnMariaDbTest {
    private static final String MIGRATION = "002_qty_times_ten";
    /** Visible in both directions: the new form is ten times the old one. */
    private static final String QTY_TIMES_TEN = """
            operations:
              - alter_column: {table: items, column: qty, type: bigint, up: "qty * 10", down: "FLOOR(qty / 10)"}
            """;

    @TempDir
    Path dir;

    private String app() {
        String app = MariaDb.newDatabase("app");
        MariaDb.exec(app, "CREATE TABLE items (id BIGINT PRIMARY KEY, qty INT NOT NULL)",
                "INSERT INTO items VALUES (1, 0), (2, 0), (3, 0)");
        return app;
    }

    private Tandem expandedAndBackfilled(String app, String... newVersionLogins) throws Exception {
        new Migrations(dir).write(MIGRATION + ".yaml", QTY_TIMES_TEN);
        Tandem tandem = Tandem.configure().url(MariaDb.url(app), "root", MariaDbServer.PASSWORD).schema(app)
                .migrations(dir).newVersionLogins(newVersionLogins).load();
        tandem.expand();
        tandem.backfill();
        return tandem;
    }

    private static Connection connect(String user, String database) throws SQLException {
        return (database == null ? MariaDb.dataSourceAs(user) : MariaDb.dataSourceAs(user, database)).getConnection();
    }

    private static long connectionId(Connection c) throws SQLException {
        try (var rs = c.createStatement().executeQuery("SELECT CONNECTION_ID()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Closes {@code what} two seconds from now, in another thread: the old version going while contract waits. */
    private static CompletableFuture<Void> inTwoSeconds(AutoCloseable what) {
        return CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(2000);
                what.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /**
     * The newcomer's loss: the version before Tandem increments a counter in the database itself while contract runs.
     * Forced, contract drops the column it writes under it and its writes fail; not forced, contract is refused,
     * naming its connections, and runs once they are gone. Another Tandem command's connection, in the same database
     * as the same login, does not count.
     */
    @Test
    void theVersionBeforeTandemOnTheDatabaseItselfBlocksContract() throws Exception {
        String app = app();
        Tandem tandem = expandedAndBackfilled(app);
        String lost = MariaDb.newDatabase("lost");
        MariaDb.exec(lost, "CREATE TABLE items (id BIGINT PRIMARY KEY, qty INT NOT NULL)", "INSERT INTO items VALUES (1, 0)");
        Writers writers = new Writers().start("old version", () -> MariaDb.dataSource(app).getConnection(),
                (c, r) -> exec(c, "UPDATE items SET qty = qty + 1 WHERE id = 1"));
        writers.atLeast(50);
        assertThatThrownBy(tandem::contract).isInstanceOf(TandemException.class)
                .hasMessageContaining("instances of other versions are still running: unnamed@")
                .hasMessageContaining("version (before Tandem)")
                .hasMessageContaining("of 'root'@").hasMessageContaining("in `" + app + "`")
                .hasMessageContaining("KILL CONNECTION");
        assertThat(tandem.status().instances()).anySatisfy(i -> {
            assertThat(i.version()).isEqualTo("(before Tandem)");
            assertThat(i.sessions()).startsWith("connection ");
        });
        writers.atLeast(50);
        writers.close();
        assertThat(writers.errors.get()).as(String.join("\n", writers.messages)).isZero();
        // Every increment of the old version reached the new column, which contract keeps.
        int increments = writers.done.get();
        // Another Tandem command's session (`tandem status` in another terminal), in the same database as the same login.
        try (Connection otherTandem = MariaDb.dataSource(app).getConnection()) {
            new MariaDbDialect(MariaDbDialect.Flavor.MARIADB).setApplicationName(otherTandem, Names.toolApplicationName("status"));
            tandem.contract();
        }
        assertThat(((Number) Rows.scalar(MariaDb.dataSource(app + "_" + MIGRATION), "SELECT qty FROM items WHERE id = 1"))
                .longValue()).isEqualTo(increments * 10L);
    }

    /**
     * A client that connects again and again (a monitoring agent, a test's poller) is listed, while it connects, with
     * its login and no database yet: that moment is no session with no default database, or the guard refuses
     * contract and rollback now and then over it (a CI run's rollback did).
     */
    @Test
    void aClientConnectingToItsDatabaseIsNotTakenForOneWithNone() throws Exception {
        String app = app();
        Tandem tandem = expandedAndBackfilled(app);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong connects = new java.util.concurrent.atomic.AtomicLong();
        CompletableFuture<Void> churn = CompletableFuture.runAsync(() -> {
            while (!stop.get()) {
                try (Connection c = MariaDb.dataSource("mysql").getConnection()) {
                    connects.incrementAndGet();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        try {
            for (int i = 0; i < 60; i++) {
                assertThat(tandem.status().unattributed()).as("after %d connects", connects.get()).isEmpty();
            }
        } finally {
            stop.set(true);
            churn.join();
        }
        System.out.println("guard reads during " + connects.get() + " connects: none taken for a session with no database");
    }

    /** What the guard prevents, shown by forcing it: the old version's writes fail once contract has run. */
    @Test
    void forcedWhileTheVersionBeforeTandemWritesItsWritesFailAndTheHistorySaysSo() throws Exception {
        String app = app();
        Tandem tandem = expandedAndBackfilled(app);
        try (Writers writers = new Writers().start("old version", () -> MariaDb.dataSource(app).getConnection(),
                (c, r) -> exec(c, "UPDATE items SET qty = qty + 1 WHERE id = 1"))) {
            writers.atLeast(20);
            tandem.contract(Duration.ZERO, true);
            writers.atLeast(20);
            assertThat(writers.errors.get()).isPositive();
        }
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM tandem.history WHERE schema_name = ?"
                + " AND event = 'contract forced' AND detail LIKE '%(before Tandem)%'", app)).isEqualTo(1L);
    }

    /** --wait: contract waits for the old version's session to go, then runs. */
    @Test
    void contractWaitsForTheOldVersionsSessionToGo() throws Exception {
        String app = app();
        Tandem tandem = expandedAndBackfilled(app);
        Connection old = MariaDb.dataSource(app).getConnection();
        long started = System.nanoTime();
        CompletableFuture<Void> closer = inTwoSeconds(old);
        tandem.contract(Duration.ofSeconds(30), false);
        closer.join();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        assertThat(tandem.status().migrations().get(0).phase().text).isEqualTo("complete");
    }

    /**
     * Without PROCESS the process list shows a login only its own sessions: contract cannot verify that no other
     * login's application runs, so it refuses with the grant, even with nothing running; forced, it runs and says so.
     */
    @Test
    void aLoginWithoutProcessIsRefusedWithTheGrant() throws Exception {
        String app = app();
        expandedAndBackfilled(app);
        String migrator = MariaDb.newUser("migrator", "ALL ON `" + app + "`.*", "ALL ON `" + app.replace("_", "\\_") + "\\_%`.*",
                "ALL ON `tandem`.*");
        Tandem asMigrator = Tandem.configure().url(MariaDb.url(app), migrator, MariaDbServer.PASSWORD).schema(app)
                .migrations(dir).load();
        // With the binary log on and log_bin_trust_function_creators 0, dropping the sync triggers would fail too:
        // both are said at once, before anything changes.
        assertThatThrownBy(asMigrator::contract).isInstanceOf(TandemException.class)
                .hasMessageContaining("privilege PROCESS")
                .hasMessageContaining("GRANT PROCESS ON *.* TO '" + migrator + "'@'%';")
                .hasMessageContaining("SET GLOBAL log_bin_trust_function_creators = 1;");
        MariaDb.exec("GRANT PROCESS ON *.* TO " + MariaDb.account(migrator));
        // Dropping the sync triggers needs SUPER or this while the binary log is on, as creating them does.
        try (AutoCloseable trusted = MariaDb.trustFunctionCreators(true)) {
            asMigrator.contract();
        }
        assertThat(asMigrator.status().migrations().get(0).phase().text).isEqualTo("complete");
    }

    /**
     * Two logins, no session variable: the new version's login writes new-form values through its version database,
     * which reach the old column by `down`; the old one writes the old form into the tables, which reaches the new
     * column by `up`. The guard counts the new login's session as the new version, even in the database itself, and
     * contract runs while it is open; status and plan show the setting.
     */
    @Test
    void aPerVersionLoginIsTheNewVersionWithoutASessionVariable() throws Exception {
        String app = app();
        String versionDb = app + "_" + MIGRATION;
        String oldLogin = MariaDb.newUser("app_v1", "SELECT, INSERT, UPDATE ON `" + app + "`.*");
        String newLogin = MariaDb.newUser("app_v2", "SELECT, INSERT, UPDATE ON `" + versionDb + "`.*",
                "SELECT, INSERT, UPDATE ON `" + app + "`.*");
        Tandem tandem = expandedAndBackfilled(app, newLogin);
        assertThat(tandem.plan().plan().newVersionLogins()).containsExactly(newLogin);
        assertThat(tandem.status().migrations().get(0).newVersionLogins()).containsExactly(newLogin);
        try (Connection next = connect(newLogin, versionDb); Connection old = connect(oldLogin, app)) {
            exec(next, "UPDATE items SET qty = 70 WHERE id = 1");
            exec(next, "INSERT INTO items (id, qty) VALUES (4, 90)");
            exec(old, "UPDATE items SET qty = 5 WHERE id = 2");
            assertThat(Rows.query(MariaDb.dataSource(app), "SELECT id, qty, `_tandem_new_qty` AS q FROM items ORDER BY id"))
                    .extracting(r -> r.get("id") + ":" + r.get("qty") + ":" + r.get("q"))
                    .containsExactly("1:7:70", "2:5:50", "3:0:0", "4:9:90");
        }
        try (Connection nextInTheTables = connect(newLogin, app)) {
            assertThat(tandem.status().instances()).singleElement().satisfies(i -> {
                assertThat(i.version()).isEqualTo(MIGRATION);
                assertThat(i.sessions()).contains("connection " + connectionId(nextInTheTables) + " of '" + newLogin + "'");
            });
            tandem.contract();
        }
        assertThat(tandem.status().migrations().get(0).phase().text).isEqualTo("complete");
    }

    /** A session that says its version is that version, whatever its login; one claiming an unknown version fails. */
    @Test
    void theSessionVariableWinsOverTheLogin() throws Exception {
        String app = app();
        String newLogin = MariaDb.newUser("app_v2", "SELECT, INSERT, UPDATE ON `" + app + "`.*");
        expandedAndBackfilled(app, newLogin);
        try (Connection c = connect(newLogin, app)) {
            exec(c, "SET @tandem_version = '" + MIGRATION + "'");
            exec(c, "UPDATE items SET `_tandem_new_qty` = 30 WHERE id = 3");
            assertThat(((Number) Rows.scalar(MariaDb.dataSource(app), "SELECT qty FROM items WHERE id = 3")).longValue()).isEqualTo(3L);
            exec(c, "SET @tandem_version = '001_elsewhere'");
            assertThatThrownBy(() -> exec(c, "UPDATE items SET qty = 1 WHERE id = 3"))
                    .hasMessageContaining("claims version '001_elsewhere'");
        }
    }

    /**
     * The newcomer's second loss: the old version connects with no default database and writes `app`.items by its
     * qualified name. Contract and rollback refuse naming its connection and login; `status` lists it; contract
     * --wait waits for it to go, and then every increment reached the new column.
     */
    @Test
    void aWriterWithNoDefaultDatabaseBlocksContractAndRollbackUntilItGoes() throws Exception {
        String app = app();
        Tandem tandem = expandedAndBackfilled(app);
        String login = MariaDb.newUser("old_app", "SELECT, UPDATE ON `" + app + "`.*");
        Writers writers = new Writers().start("old version", () -> connect(login, null), (c, r) -> {
            try (var rs = c.createStatement().executeQuery("SELECT qty FROM `" + app + "`.items WHERE id = 1")) {
                rs.next();
                exec(c, "UPDATE `" + app + "`.items SET qty = " + (rs.getInt(1) + 1) + " WHERE id = 1");
            }
        });
        // Closed whatever happens: a writer left running would hold back every later test's contract on this server.
        try (writers) {
            writers.atLeast(20);
            assertThatThrownBy(tandem::contract).isInstanceOf(TandemException.class)
                    .hasMessageContaining("sessions with no default database are connected")
                    .hasMessageContaining("of '" + login + "'@").hasMessageContaining("--ignore-session");
            assertThatThrownBy(() -> tandem.rollback(false, false)).isInstanceOf(TandemException.class)
                    .hasMessageContaining("rollback of " + MIGRATION + " refused before changing anything")
                    .hasMessageContaining("of '" + login + "'@");
            assertThat(tandem.status().unattributed()).singleElement().satisfies(s -> assertThat(s.user()).isEqualTo(login));
            CompletableFuture<Void> stopper = inTwoSeconds(writers);
            tandem.contract(Duration.ofSeconds(30), false);
            stopper.join();
            assertThat(writers.errors.get()).as(String.join("\n", writers.messages)).isZero();
            assertThat(((Number) Rows.scalar(MariaDb.dataSource(app + "_" + MIGRATION), "SELECT qty FROM items WHERE id = 1"))
                    .longValue()).isEqualTo(writers.done.get() * 10L);
        }
    }

    /**
     * A console with no default database is left out by its connection id only, and the history says so; ignoring
     * unattributed sessions does not switch off the other checks: the old version in the database still blocks.
     */
    @Test
    void anIgnoredSessionIsLeftOutAloneAndRecorded() throws Exception {
        String app = app();
        Tandem tandem = expandedAndBackfilled(app);
        String login = MariaDb.newUser("monitor", "PROCESS ON *.*");
        try (Connection monitor = connect(login, null); Connection other = connect(login, null)) {
            long id = connectionId(monitor);
            assertThatThrownBy(() -> tandem.contract(Duration.ZERO, false, IgnoredSessions.of(id)))
                    .isInstanceOf(TandemException.class).hasMessageContaining("connection " + connectionId(other) + " of '")
                    .hasMessageNotContaining("connection " + id + " of '");
            try (Connection old = MariaDb.dataSource(app).getConnection()) {
                assertThatThrownBy(() -> tandem.contract(Duration.ZERO, false, new IgnoredSessions(Set.of(), true)))
                        .isInstanceOf(TandemException.class).hasMessageContaining("version (before Tandem)")
                        .hasMessageNotContaining("no default database");
            }
            tandem.contract(Duration.ZERO, false, IgnoredSessions.of(id, connectionId(other)));
            assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM tandem.history WHERE schema_name = ?"
                    + " AND event = 'unattributed sessions ignored' AND detail LIKE ?", app, "%connection " + id + " of '"
                    + login + "'@% with no default database, idle %")).isEqualTo(1L);
        }
        assertThat(tandem.status().migrations().get(0).phase().text).isEqualTo("complete");
    }

    /** `status` by a login without PROCESS says that it cannot see other logins' sessions, and the grant. */
    @Test
    void statusWithoutProcessSaysWhatItCannotSee() throws Exception {
        String app = app();
        expandedAndBackfilled(app);
        String migrator = MariaDb.newUser("migrator", "ALL ON `" + app + "`.*", "ALL ON `tandem`.*");
        Tandem asMigrator = Tandem.configure().url(MariaDb.url(app), migrator, MariaDbServer.PASSWORD).schema(app)
                .migrations(dir).load();
        try (Connection old = MariaDb.dataSource(app).getConnection()) {
            var status = asMigrator.status();
            assertThat(status.instances()).isEmpty();
            assertThat(status.sessionsVisible()).isFalse();
            assertThat(status.warnings()).singleElement().asString().contains("GRANT PROCESS ON *.* TO '" + migrator + "'@'%';");
        }
        assertThat(Tandem.configure().url(MariaDb.url(app), "root", MariaDbServer.PASSWORD).schema(app).migrations(dir)
                .load().status().sessionsVisible()).isTrue();
    }

    @Test
    void aLoginWithAHostOrAPostgresPlanIsRefused() throws Exception {
        String app = app();
        new Migrations(dir).write(MIGRATION + ".yaml", QTY_TIMES_TEN);
        assertThatThrownBy(() -> Tandem.configure().url(MariaDb.url(app), "root", MariaDbServer.PASSWORD).schema(app)
                .migrations(dir).newVersionLogins("app_v2@%").load().plan())
                .isInstanceOf(TandemException.class).hasMessageContaining("give the user name alone");
        String schema = Pg.newSchema("app");
        Pg.exec("CREATE TABLE \"" + schema + "\".items (id bigint PRIMARY KEY, qty integer NOT NULL)");
        assertThatThrownBy(() -> Tandem.configure().dataSource(Pg.dataSource()).schema(schema).migrations(dir)
                .newVersionLogins("app_v2").load().expand())
                .isInstanceOf(TandemException.class).hasMessageContaining("ALTER ROLE \"app_v2\" SET search_path");
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE"
                + " TRIGGER_SCHEMA = ?", app)).isEqualTo(0L);
    }
}
