package dev.tandem.mariadb;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.MariaDbServer;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every command that changes the database checks the server and its login before its first change, as plan and
 * expand do. A newcomer set log_bin_trust_function_creators with SET GLOBAL only; after a restart it was 0 again, and
 * contract failed at step 3 of 8 with error 1419, and rollback dropped the version database, then failed the same way
 * and left the migration rolling_back. And application logins granted on the database alone were refused in the
 * version database (error 1044) with nothing saying so.
 */
class ServerChecksAtEveryCommandTest {
    private static final String QTY_TIMES_TEN = """
            operations:
              - alter_column: {table: items, column: qty, type: bigint, up: "qty * 10", down: "FLOOR(qty / 10)"}
            """;

    @TempDir
    Path dir;

    private String app() throws Exception {
        String app = MariaDb.newDatabase("app");
        MariaDb.exec(app, "CREATE TABLE items (id BIGINT PRIMARY KEY, qty INT NOT NULL)",
                "INSERT INTO items VALUES (1, 1), (2, 2), (3, 3)");
        new Migrations(dir).write("002_wide.yaml", QTY_TIMES_TEN);
        return app;
    }

    private Tandem as(String login, String app) {
        return Tandem.configure().url(MariaDb.url(app), login, MariaDbServer.PASSWORD).schema(app).migrations(dir).load();
    }

    private static long syncTriggers(String app) {
        return ((Number) Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM information_schema.TRIGGERS"
                + " WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME LIKE '\\_tandem\\_sync\\_%'", app)).longValue();
    }

    private static long databases(String name) {
        return ((Number) Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM information_schema.SCHEMATA"
                + " WHERE SCHEMA_NAME = ?", name)).longValue();
    }

    @Test
    void contractAndRollbackRefuseBeforeChangingAnythingWhenTriggersCouldNotBeDropped() throws Exception {
        String app = app();
        String migrator = MariaDb.newUser("migrator");
        ReadmeGrantsOnMariaDbTest.grantReadme(ReadmeGrantsOnMariaDbTest.readmeGrants(), app, migrator);
        Tandem tandem = as(migrator, app);
        try (AutoCloseable trusted = MariaDb.trustFunctionCreators(true)) {
            tandem.expand();
            tandem.backfill();
        }
        long triggers = syncTriggers(app);
        assertThat(triggers).isPositive();
        // As after a restart of a server where the setting was made with SET GLOBAL only.
        try (AutoCloseable untrusted = MariaDb.trustFunctionCreators(false)) {
            assertThatThrownBy(tandem::contract).isInstanceOfSatisfying(TandemException.class, e -> {
                assertThat(e.kind()).isEqualTo(TandemException.Kind.REFUSED);
                // Not "rollback is still possible": it would fail the same way until this is fixed.
                assertThat(e.getMessage()).startsWith("contract of 002_wide refused before changing anything (002_wide"
                        + " stays backfilled): this server or login lacks what contract needs, and `tandem rollback`"
                        + " needs the same.").contains(
                        "log_bin_trust_function_creators is 0", "error 1419",
                        "Run: SET GLOBAL log_bin_trust_function_creators = 1;");
            });
            assertThatThrownBy(tandem::rollback).isInstanceOfSatisfying(TandemException.class, e -> {
                assertThat(e.kind()).isEqualTo(TandemException.Kind.REFUSED);
                assertThat(e.getMessage()).startsWith("rollback of 002_wide refused before changing anything (002_wide"
                        + " stays backfilled)").contains("Run: SET GLOBAL log_bin_trust_function_creators = 1;");
            });
            assertThat(tandem.status().migrations().get(0).phase().text).isEqualTo("backfilled");
            assertThat(syncTriggers(app)).isEqualTo(triggers);
            assertThat(databases(app + "_002_wide")).as("the version database").isEqualTo(1);
        }
        try (AutoCloseable trusted = MariaDb.trustFunctionCreators(true)) {
            tandem.rollback();
        }
        assertThat(tandem.status().migrations().get(0).phase().text).isEqualTo("rolled_back");
        assertThat(syncTriggers(app)).isZero();
    }

    /** A rollback stopped half-way is not resumed into the same error: refused with what to set. */
    @Test
    void aRollbackStoppedHalfWayGoesOnOnlyWhenItCanFinish() throws Exception {
        String app = app();
        Tandem root = as("root", app);
        root.expand();
        root.backfill();
        MariaDb.exec("UPDATE tandem.migrations SET phase = 'rolling_back', steps_done = 1 WHERE name = '002_wide'"
                + " AND schema_name = " + MariaDb.literal(app));
        String migrator = MariaDb.newUser("migrator");
        ReadmeGrantsOnMariaDbTest.grantReadme(ReadmeGrantsOnMariaDbTest.readmeGrants(), app, migrator);
        try (AutoCloseable untrusted = MariaDb.trustFunctionCreators(false)) {
            assertThatThrownBy(as(migrator, app)::rollback).isInstanceOfSatisfying(TandemException.class, e -> {
                assertThat(e.kind()).isEqualTo(TandemException.Kind.REFUSED);
                assertThat(e.getMessage()).startsWith("rollback of 002_wide cannot go on from step 2 on this server as"
                        + " this login; nothing more was changed.").contains("SET GLOBAL log_bin_trust_function_creators = 1;");
            });
            assertThat(syncTriggers(app)).isPositive();
        }
    }

    /** An expand stopped half-way goes on only when it can finish: its remaining steps create sync triggers. */
    @Test
    void anExpandStoppedHalfWayIsCheckedBeforeItGoesOn() throws Exception {
        String app = app();
        Tandem root = as("root", app);
        root.expand();
        MariaDb.exec("UPDATE tandem.migrations SET phase = 'expanding', steps_done = 1 WHERE name = '002_wide'"
                + " AND schema_name = " + MariaDb.literal(app));
        String migrator = MariaDb.newUser("migrator");
        ReadmeGrantsOnMariaDbTest.grantReadme(ReadmeGrantsOnMariaDbTest.readmeGrants(), app, migrator);
        try (AutoCloseable untrusted = MariaDb.trustFunctionCreators(false)) {
            assertThatThrownBy(as(migrator, app)::expand).isInstanceOfSatisfying(TandemException.class, e -> {
                assertThat(e.kind()).isEqualTo(TandemException.Kind.REFUSED);
                assertThat(e.getMessage()).startsWith("expand of 002_wide cannot go on from step 2 on this server as"
                        + " this login; nothing more was changed.").contains("SET GLOBAL log_bin_trust_function_creators = 1;");
            });
        }
        assertThat(as(migrator, app).status().migrations().get(0).phase().text).isEqualTo("expanding");
    }

    /** Backfill creates the new version's database at its end: a login that could not is refused before it starts. */
    @Test
    void aBackfillThatCouldNotCreateTheVersionDatabaseIsRefusedBeforeItStarts() throws Exception {
        String app = app();
        as("root", app).expand();
        String migrator = MariaDb.newUser("migrator");
        ReadmeGrantsOnMariaDbTest.grantReadme(ReadmeGrantsOnMariaDbTest.readmeGrants().stream()
                .filter(g -> !g.contains("\\_%")).toList(), app, migrator);
        Tandem tandem = as(migrator, app);
        assertThatThrownBy(tandem::backfill).isInstanceOfSatisfying(TandemException.class, e -> {
            assertThat(e.kind()).isEqualTo(TandemException.Kind.REFUSED);
            assertThat(e.getMessage()).startsWith("backfill of 002_wide refused before changing anything (002_wide"
                    + " stays expanded)").contains("CREATE VIEW", "the version database " + MariaDb.quote(app + "_002_wide"));
        });
        assertThat(tandem.status().migrations().get(0).phase().text).isEqualTo("expanded");
        assertThat(tandem.status().migrations().get(0).rowsDone()).isZero();
    }

    /**
     * Logins granted on the database alone cannot use the version database; Tandem, when it may read the grant
     * tables, names them once the version database exists, with the GRANT that lets them, and that GRANT is enough.
     */
    @Test
    void applicationLoginsWithoutTheVersionDatabaseAreNamedWithTheGrant() throws Exception {
        String app = app();
        String appLogin = MariaDb.newUser("app", "SELECT, INSERT, UPDATE, DELETE ON " + MariaDb.quote(app) + ".*");
        String versionDb = app + "_002_wide";
        Tandem tandem = as("root", app);
        tandem.expand();
        String message = tandem.backfill().message();
        assertThat(message).contains("login '" + appLogin + "'@'%' has privileges on " + MariaDb.quote(app)
                + " but none on the new version database " + MariaDb.quote(versionDb));
        assertThatThrownBy(() -> count(appLogin, versionDb)).isInstanceOfSatisfying(SQLException.class,
                e -> assertThat(e.getErrorCode()).isEqualTo(1044));
        Matcher grant = Pattern.compile("GRANT SELECT, INSERT, UPDATE, DELETE ON `[^`]+`\\.\\* TO '" + appLogin + "'@'%';")
                .matcher(message);
        assertThat(grant.find()).as(message).isTrue();
        MariaDb.exec(grant.group());
        assertThat(count(appLogin, versionDb)).isEqualTo(3);
    }

    /** A login that cannot read other logins' grants says that it could not check, and nothing about any login. */
    @Test
    void withoutTheGrantTablesItSaysItCouldNotCheck() throws Exception {
        String app = app();
        MariaDb.newUser("app", "SELECT, INSERT, UPDATE, DELETE ON " + MariaDb.quote(app) + ".*");
        String migrator = MariaDb.newUser("migrator");
        ReadmeGrantsOnMariaDbTest.grantReadme(ReadmeGrantsOnMariaDbTest.readmeGrants(), app, migrator);
        Tandem tandem = as(migrator, app);
        try (AutoCloseable trusted = MariaDb.trustFunctionCreators(true)) {
            tandem.expand();
            String message = tandem.backfill().message();
            assertThat(message).contains("could not check which application logins may use the new version database",
                    "SELECT on mysql.db and mysql.user").doesNotContain("login '");
        }
    }

    private static long count(String login, String database) throws SQLException {
        try (Connection c = MariaDb.dataSourceAs(login, database).getConnection(); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT COUNT(*) FROM items")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
