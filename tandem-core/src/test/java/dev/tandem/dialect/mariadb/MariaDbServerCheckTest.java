package dev.tandem.dialect.mariadb;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.dialect.Dialect.ServerNeeds;
import dev.tandem.dialect.Dialect.ServerProblem;
import dev.tandem.dialect.Dialect.ServerReport;
import dev.tandem.engine.Plan;
import dev.tandem.engine.Step;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static dev.tandem.testing.MariaDb.quote;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * MariaDbServerCheck against the embedded server (binary log on in ROW format, grants enforced,
 * log_bin_trust_function_creators 0): what a login lacks is found from its grants as the server applies them, each
 * with the statement that gives it, and those statements are enough for what Tandem then runs as that login.
 */
class MariaDbServerCheckTest {
    private String app;
    private String versionDb;
    private String state;

    @BeforeEach
    void database() {
        app = MariaDb.newDatabase("app");
        versionDb = app + "_001_users";
        // Not under app's version pattern (app\_%), so that a grant on the version databases does not cover it.
        state = "state" + app;
        MariaDb.exec(app, "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL)");
    }

    @Test
    void aLoginMissingSeveralPrivilegesIsToldEachWithTheGrantThatGivesIt() throws Exception {
        String user = MariaDb.newUser("partial", "SELECT, UPDATE ON " + quote(app) + ".*");
        List<ServerProblem> problems = check(user, needs(true)).problems();
        String to = " TO " + MariaDb.account(user) + ";";
        // The server's settings first, then the privileges, one GRANT per database naming each privilege.
        assertThat(problems).extracting(ServerProblem::fix).containsExactly(
                problems.get(0).fix(),
                "Run: GRANT CREATE, DROP, ALTER, CREATE TEMPORARY TABLES, TRIGGER ON " + quote(app) + ".*" + to,
                "Run: GRANT SELECT, CREATE, DROP, CREATE VIEW, SHOW VIEW ON " + quote(app.replace("_", "\\_") + "\\_%") + ".*" + to,
                "Run: GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON " + quote(state) + ".*" + to,
                "Run: GRANT PROCESS ON *.*" + to);
        assertThat(problems.get(0).missing()).contains("log_bin_trust_function_creators is 0");
        assertThat(problems.get(1).missing()).contains("ALTER (to add and drop columns and indexes)",
                "TRIGGER (to create and drop the sync triggers)").doesNotContain("SELECT").doesNotContain("UPDATE");
        assertThat(problems.get(2).missing()).contains("the version database " + quote(versionDb));
        // README lists PROCESS as required: contract and rollback refuse without it, so plan says so already.
        assertThat(problems.get(4).missing()).startsWith("privilege PROCESS (contract and rollback verify");

        // What the check asks for is what the DBA runs, and then is enough for Tandem's statements as that login
        // (neither INDEX nor INSERT on the database: MariaDB's ALTER TABLE ... ADD INDEX needs ALTER alone).
        for (ServerProblem p : problems.subList(1, 5)) MariaDb.exec(p.fix().substring("Run: ".length()));
        try (AutoCloseable trusted = MariaDb.trustFunctionCreators(true)) {
            assertThat(check(user, needs(true)).problems()).isEmpty();
            try (Connection c = MariaDb.dataSourceAs(user).getConnection(); Statement st = c.createStatement()) {
                String users = quote(app) + ".users";
                st.execute("ALTER TABLE " + users + " ADD COLUMN email VARCHAR(100) NULL, ALGORITHM=INSTANT, LOCK=NONE");
                st.execute("ALTER TABLE " + users + " ADD INDEX users_email (email), ALGORITHM=NOCOPY, LOCK=NONE");
                st.execute("CREATE TRIGGER " + quote(app) + ".sync BEFORE INSERT ON " + users
                        + " FOR EACH ROW SET NEW.email = LOWER(NEW.name)");
                st.execute("UPDATE " + users + " SET email = LOWER(name)");
                st.execute("CREATE DATABASE IF NOT EXISTS " + quote(versionDb));
                st.execute("CREATE OR REPLACE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW " + quote(versionDb)
                        + ".users AS SELECT id, name AS username, email FROM " + users);
                st.execute("CREATE OR REPLACE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW " + quote(versionDb)
                        + ".users AS SELECT id, name, email FROM " + users);
                st.execute("CREATE DATABASE IF NOT EXISTS " + quote(state));
                st.execute("CREATE TABLE " + quote(state) + ".migrations (name VARCHAR(64) PRIMARY KEY)");
                st.execute("INSERT INTO " + quote(state) + ".migrations VALUES ('001_users')");
                st.execute("DELETE FROM " + quote(state) + ".migrations");
                st.execute("DROP TRIGGER " + quote(app) + ".sync");
                st.execute("ALTER TABLE " + users + " DROP INDEX users_email, ALGORITHM=NOCOPY, LOCK=NONE");
                st.execute("ALTER TABLE " + users + " DROP COLUMN email, ALGORITHM=INSTANT, LOCK=NONE");
                st.execute("DROP DATABASE " + quote(versionDb));
            }
        }
    }

    /** "Binary Logging of Stored Routines": with the binary log on, triggers need SUPER or the setting. */
    @Test
    void withoutTrustedCreatorsAndWithoutSuperTriggersAreRefusedNamingTheSetting() throws Exception {
        String user = fullyGranted("migrator");
        String superUser = fullyGranted("super");
        MariaDb.exec("GRANT SUPER ON *.* TO " + MariaDb.account(superUser));
        try (AutoCloseable untrusted = MariaDb.trustFunctionCreators(false)) {
            List<ServerProblem> problems = check(user, needs(true)).problems();
            assertThat(problems).hasSize(1);
            assertThat(problems.get(0).missing()).contains("log_bin_trust_function_creators is 0", "not SUPER", "1419");
            assertThat(problems.get(0).fix()).startsWith("Run: SET GLOBAL log_bin_trust_function_creators = 1;")
                    .contains("needs SUPER or BINLOG ADMIN", "my.cnf");
            // The fact behind it: this login cannot create the trigger.
            try (Connection c = MariaDb.dataSourceAs(user).getConnection(); Statement st = c.createStatement()) {
                assertThatThrownBy(() -> st.execute("CREATE TRIGGER " + quote(app) + ".t BEFORE INSERT ON "
                        + quote(app) + ".users FOR EACH ROW SET NEW.name = NEW.name"))
                        .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(1419));
            }
            assertThat(check(user, needs(false)).problems()).as("a plan without sync triggers").isEmpty();
            assertThat(check(superUser, needs(true)).problems()).as("SUPER").isEmpty();
        }
        try (AutoCloseable trusted = MariaDb.trustFunctionCreators(true)) {
            assertThat(check(user, needs(true)).problems()).isEmpty();
        }
    }

    @Test
    void tablesThatAreNotInnoDbOrHaveNoKeyAreRefused() throws Exception {
        MariaDb.exec(app,
                "CREATE TABLE legacy (id INT PRIMARY KEY) ENGINE=MyISAM",
                "CREATE TABLE events (at DATETIME NOT NULL, what VARCHAR(20))",
                "CREATE TABLE nullable_key (code VARCHAR(10) NULL UNIQUE)",
                "CREATE TABLE prefix_key (code VARCHAR(100) NOT NULL, UNIQUE KEY (code(10)))",
                "CREATE TABLE unique_key (code VARCHAR(10) NOT NULL UNIQUE, note TEXT)");
        String user = fullyGranted("migrator");
        List<String> all = List.of("users", "legacy", "events", "nullable_key", "prefix_key", "unique_key");
        try (AutoCloseable trusted = MariaDb.trustFunctionCreators(true)) {
            List<ServerProblem> problems = check(user, new ServerNeeds(plan(List.of()), state, all, true)).problems();
            assertThat(problems).extracting(ServerProblem::missing).containsExactly(
                    "table " + quote(app) + ".`events` has no primary key and no unique index over NOT NULL columns:"
                            + " Tandem's backfill walks a table by such a key, and with ROW replication a replica finds"
                            + " every changed row of a table without one by scanning it",
                    "table " + quote(app) + ".`legacy` uses the MyISAM engine, and Tandem changes InnoDB tables only"
                            + " (ALTER without copying the table, transactional backfill batches)",
                    "table " + quote(app) + ".`nullable_key` has no primary key and no unique index over NOT NULL"
                            + " columns: Tandem's backfill walks a table by such a key, and with ROW replication a replica"
                            + " finds every changed row of a table without one by scanning it",
                    "table " + quote(app) + ".`prefix_key` has no primary key and no unique index over NOT NULL"
                            + " columns: Tandem's backfill walks a table by such a key, and with ROW replication a replica"
                            + " finds every changed row of a table without one by scanning it");
            assertThat(problems.get(1).fix()).contains("ALTER TABLE " + quote(app) + ".`legacy` ENGINE=InnoDB;");
            // Only the tables the migration changes count.
            assertThat(check(user, new ServerNeeds(plan(List.of()), state, List.of("users", "unique_key"), true))
                    .problems()).isEmpty();
        }
    }

    /** Through Tandem: plan refuses with every problem, and expand refuses before it changes anything. */
    @Test
    void planAndExpandRefuseWhatTheServerLacksBeforeChangingAnything(@TempDir Path dir) throws Exception {
        MariaDb.exec(app, "CREATE TABLE legacy (id INT PRIMARY KEY, name VARCHAR(50)) ENGINE=MyISAM");
        String user = MariaDb.newUser("partial", "SELECT, UPDATE, ALTER ON " + quote(app) + ".*",
                "SELECT, INSERT, UPDATE, DELETE, CREATE ON " + quote(state) + ".*");
        new Migrations(dir).write("001_users.yaml", """
                operations:
                  - add_column: {table: legacy, column: {name: note, type: "VARCHAR(100)"}}
                """);
        Tandem tandem = Tandem.configure().dataSource(MariaDb.dataSourceAs(user, app)).migrations(dir)
                .stateSchema(state).load();
        String to = " TO " + MariaDb.account(user) + ";";
        String legacy = quote(app) + ".`legacy`";
        for (ThrowingCallable command : List.<ThrowingCallable>of(tandem::plan, tandem::expand)) {
            assertThatThrownBy(command).isInstanceOfSatisfying(TandemException.class, e -> {
                assertThat(e.kind()).as(e.getMessage()).isEqualTo(TandemException.Kind.REFUSED);
                assertThat(e.getMessage()).startsWith("migration 001_users cannot run on this server as this login;"
                        + " nothing was changed. What is missing, and what to do:\n  - privileges CREATE").contains(
                        "Run: GRANT CREATE, DROP, CREATE TEMPORARY TABLES ON " + quote(app) + ".*" + to,
                        "Run: GRANT SELECT, CREATE, DROP, CREATE VIEW, SHOW VIEW ON " + quote(app.replace("_", "\\_") + "\\_%") + ".*" + to,
                        "table " + legacy + " uses the MyISAM engine").doesNotContain("TRIGGER");
            });
        }
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?"
                + " AND TABLE_NAME = 'legacy'", app)).isEqualTo(2L);
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
                versionDb)).isEqualTo(0L);
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM " + quote(state) + ".migrations")).isEqualTo(0L);

        MariaDb.exec("GRANT CREATE, DROP, CREATE TEMPORARY TABLES ON " + quote(app) + ".*" + to);
        MariaDb.exec("GRANT SELECT, CREATE, DROP, CREATE VIEW, SHOW VIEW ON " + quote(app.replace("_", "\\_") + "\\_%") + ".*" + to);
        MariaDb.exec(app, "ALTER TABLE legacy ENGINE=InnoDB");
        MariaDb.exec("GRANT PROCESS ON *.*" + to);
        // What plan and expand go on to (the file's type and expression checks) is not on MariaDB yet: the check alone.
        assertThat(check(user, new ServerNeeds(plan(List.of()), state, List.of("legacy"), false)).problems()).isEmpty();
    }

    /** A trigger would run again on replicas under STATEMENT; ROW replicates its effect instead. */
    @Test
    void aBinaryLogNotInRowFormatIsRefused() throws Exception {
        String user = fullyGranted("migrator");
        Object before = Rows.scalar(MariaDb.dataSource(), "SELECT @@GLOBAL.binlog_format");
        MariaDb.exec("SET GLOBAL binlog_format = 'STATEMENT'");
        try (AutoCloseable trusted = MariaDb.trustFunctionCreators(true)) {
            List<ServerProblem> problems = check(user, needs(false)).problems();
            assertThat(problems).hasSize(1);
            assertThat(problems.get(0).missing()).startsWith("binlog_format is STATEMENT: under STATEMENT or MIXED"
                    + " replicas run Tandem's sync triggers again");
            assertThat(problems.get(0).fix()).startsWith("Run: SET GLOBAL binlog_format = 'ROW';");
        } finally {
            MariaDb.exec("SET GLOBAL binlog_format = '" + before + "'");
        }
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT @@GLOBAL.binlog_format")).isEqualTo("ROW");
    }

    /**
     * Privileges reach a login through an enabled role and through database patterns; of one grantee's database
     * grants only the first that matches applies, which is what the server does too.
     */
    @Test
    void grantsOfRolesAndPatternsCountAsTheServerAppliesThem() throws Exception {
        String role = "migrators_" + app;
        MariaDb.exec("CREATE ROLE " + quote(role));
        MariaDb.exec("GRANT ALL PRIVILEGES ON " + quote(app) + ".* TO " + quote(role));
        String user = MariaDb.newUser("member", "SELECT, CREATE, DROP, CREATE VIEW, SHOW VIEW ON " + quote(app.replace("_", "\\_") + "\\_%") + ".*",
                "SELECT, INSERT, UPDATE, DELETE, CREATE ON " + quote(state) + ".*", "PROCESS ON *.*");
        MariaDb.exec("GRANT " + quote(role) + " TO " + MariaDb.account(user));
        MariaDb.exec("SET DEFAULT ROLE " + quote(role) + " FOR " + MariaDb.account(user));
        try (AutoCloseable trusted = MariaDb.trustFunctionCreators(true)) {
            assertThat(check(user, needs(true)).problems()).isEmpty();

            // A grant naming the version database itself hides the pattern's for it: CREATE is gone.
            MariaDb.exec("GRANT SELECT ON " + quote(versionDb) + ".* TO " + MariaDb.account(user));
            List<ServerProblem> problems = check(user, needs(true)).problems();
            assertThat(problems).hasSize(1);
            assertThat(problems.get(0).missing()).startsWith("privileges CREATE (to create the version database), DROP");
            try (Connection c = MariaDb.dataSourceAs(user).getConnection(); Statement st = c.createStatement()) {
                assertThatThrownBy(() -> st.execute("CREATE DATABASE " + quote(versionDb)))
                        .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(1044));
            }
        } finally {
            MariaDb.exec("DROP ROLE " + quote(role));
        }
    }

    @Test
    void theEmbeddedServerPassesTheVersionCheck() throws Exception {
        String user = fullyGranted("migrator");
        try (AutoCloseable trusted = MariaDb.trustFunctionCreators(true)) {
            ServerReport report = check(user, needs(true));
            assertThat(report.problems()).isEmpty();
            assertThat(report.warnings()).as("not a Galera node").isEmpty();
        }
    }

    /** The versions Tandem refuses, by what VERSION() says (the embedded server is one MariaDB version). */
    @Test
    void olderServersAreRefusedWithWhy() {
        assertThat(MariaDbServerCheck.versionProblem("10.6.16-MariaDB-log")).isEqualTo("MariaDB 10.6.16-MariaDB-log is"
                + " older than 10.11, the oldest release Tandem is built and tested on");
        assertThat(MariaDbServerCheck.versionProblem("10.11.5-MariaDB")).isNull();
        assertThat(MariaDbServerCheck.versionProblem("11.4.5-MariaDB-log")).isNull();
        assertThat(MariaDbServerCheck.versionProblem("8.0.31")).contains("older than 8.0.32", "crash");
        // Accepted, with plan's warning that no MySQL server ever ran the MySQL flavor's statements.
        assertThat(MariaDbServerCheck.versionProblem("8.0.32")).isNull();
        assertThat(MariaDbServerCheck.versionProblem("8.4.3")).isNull();
        assertThat(MariaDbServerCheck.MYSQL_UNTESTED).contains("never run against a MySQL server", "on a copy");
        assertThat(MariaDbServerCheck.versionProblem("5.7.44-log")).contains("older than 8.0.32");
    }

    private String fullyGranted(String prefix) {
        return MariaDb.newUser(prefix, "ALL PRIVILEGES ON " + quote(app) + ".*",
                "SELECT, CREATE, DROP, CREATE VIEW, SHOW VIEW ON " + quote(app.replace("_", "\\_") + "\\_%") + ".*",
                "SELECT, INSERT, UPDATE, DELETE, CREATE ON " + quote(state) + ".*", "PROCESS ON *.*");
    }

    private ServerNeeds needs(boolean triggers) {
        return new ServerNeeds(plan(List.of()), state, List.of("users"), triggers);
    }

    private Plan plan(List<Step> expand) {
        return new Plan("001_users", app, versionDb, null, expand, List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of(), List.of(), List.of(), List.of());
    }

    /** As Tandem connects: the application's database is the connection's default database. */
    private ServerReport check(String user, ServerNeeds needs) throws SQLException {
        try (Connection c = MariaDb.dataSourceAs(user, app).getConnection()) {
            return MariaDbServerCheck.check(c, needs);
        }
    }
}
