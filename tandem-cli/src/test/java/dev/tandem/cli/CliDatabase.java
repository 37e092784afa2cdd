package dev.tandem.cli;

import dev.tandem.engine.Names;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.MariaDbServer;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import dev.tandem.testing.TestDatabase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * What a test that runs the CLI in a process of its own needs from the database beyond {@link TestDatabase}: the
 * command-line options that reach it, how to see the CLI's sessions from outside (to start a kill's clock when the
 * process has connected, and to wait until a killed one's sessions are gone), and how to stop the CLI at its next
 * checkpoint write.
 *
 * <p>PostgreSQL shows Tandem's sessions by their {@code application_name}. MariaDB shows another session's name only
 * through the Performance Schema (off here), so there the CLI logs in as a user of its own, which the process list
 * shows.
 */
abstract class CliDatabase {
    final TestDatabase db;

    private CliDatabase(TestDatabase db) {
        this.db = db;
    }

    static CliDatabase of(TestDatabase db) {
        return switch (db) {
            case POSTGRES -> new Postgres();
            case MARIADB -> new MariaDbCli();
        };
    }

    /** The options after the command that make the CLI work on {@code schema}. */
    abstract List<String> connection(String schema);

    /** Sessions the CLI has open. */
    abstract long toolSessions();

    /** Sessions of the CLI waiting for a row lock. */
    abstract long blockedToolSessions();

    /**
     * Locks Tandem's state rows of {@code schema} in a transaction of {@code gate} (which the caller rolls back), so
     * that the CLI's next checkpoint write waits.
     */
    void holdCheckpoints(Connection gate, String schema) throws SQLException {
        gate.setAutoCommit(false);
        try (Statement st = gate.createStatement()) {
            st.execute(lockTimeoutOfTwoSeconds());
        }
        for (String table : List.of("migrations", "backfill")) {
            try (PreparedStatement ps = gate.prepareStatement("SELECT 1 FROM tandem." + table + " WHERE schema_name = ? FOR UPDATE")) {
                ps.setString(1, schema);
                ps.execute();
            }
        }
    }

    abstract String lockTimeoutOfTwoSeconds();

    /** For the test's own sessions while the CLI runs: on MariaDB never one the contract guard counts. */
    javax.sql.DataSource watcher() {
        return db.dataSource();
    }

    private static final class Postgres extends CliDatabase {
        Postgres() {
            super(TestDatabase.POSTGRES);
        }

        @Override
        List<String> connection(String schema) {
            return List.of("--url", Pg.url(), "--schema", schema);
        }

        @Override
        long toolSessions() {
            return ((Number) Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_stat_activity WHERE (application_name = ? OR application_name LIKE ? || ' %')"
                    + " AND pid <> pg_backend_pid()", Names.TOOL_APPLICATION_NAME, Names.TOOL_APPLICATION_NAME)).longValue();
        }

        @Override
        long blockedToolSessions() {
            return ((Number) Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_stat_activity WHERE (application_name = ? OR application_name LIKE ? || ' %')"
                    + " AND wait_event_type = 'Lock'", Names.TOOL_APPLICATION_NAME, Names.TOOL_APPLICATION_NAME)).longValue();
        }

        @Override
        String lockTimeoutOfTwoSeconds() {
            return "SET lock_timeout = '2s'";
        }
    }

    private static final class MariaDbCli extends CliDatabase {
        /** The CLI's own login: every privilege, as root has, under a name the process list tells apart. */
        private final String user = MariaDb.newUser("tandem_cli", "ALL PRIVILEGES ON *.*");

        {
            MariaDb.exec("GRANT ALL PRIVILEGES ON *.* TO " + MariaDb.account(user) + " WITH GRANT OPTION");
        }

        MariaDbCli() {
            super(TestDatabase.MARIADB);
        }

        @Override
        List<String> connection(String schema) {
            return List.of("--url", MariaDb.url(schema), "--user", user, "--password", MariaDbServer.PASSWORD);
        }

        @Override
        long toolSessions() {
            return ((Number) Rows.scalar(watcher(), "SELECT count(*) FROM information_schema.PROCESSLIST"
                    + " WHERE USER = ?", user)).longValue();
        }

        /** InnoDB's own view of who waits for a row lock, joined to the process list for the login. */
        @Override
        long blockedToolSessions() {
            return ((Number) Rows.scalar(watcher(), "SELECT count(*) FROM information_schema.INNODB_TRX t"
                    + " JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id"
                    + " WHERE p.USER = ? AND t.trx_state = 'LOCK WAIT'", user)).longValue();
        }

        @Override
        javax.sql.DataSource watcher() {
            return MariaDb.watcher();
        }

        @Override
        String lockTimeoutOfTwoSeconds() {
            return "SET SESSION innodb_lock_wait_timeout = 2";
        }
    }
}
