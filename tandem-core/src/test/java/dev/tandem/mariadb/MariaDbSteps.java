package dev.tandem.mariadb;

import dev.tandem.engine.Step;
import dev.tandem.testing.MariaDb;
import org.mariadb.jdbc.MariaDbDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * Runs a {@link Step} of MariaDbDdl on the embedded server as the executor would: its skipIf query first, then its SQL
 * as one multi-statement text (a step may hold several statements, as on PostgreSQL; the connection allows that).
 */
final class MariaDbSteps {
    private MariaDbSteps() {
    }

    /** Root, no default database, several statements per execute. */
    static DataSource admin() {
        return withMultiQueries(MariaDb.url());
    }

    /** Root with {@code database} as the default database, as an application selects its version. */
    static DataSource in(String database) {
        return withMultiQueries(MariaDb.url(database));
    }

    private static DataSource withMultiQueries(String url) {
        try {
            MariaDbDataSource ds = new MariaDbDataSource(url + "?allowMultiQueries=true");
            ds.setUser("root");
            ds.setPassword(dev.tandem.testing.MariaDbServer.PASSWORD);
            return ds;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return false when the step's skipIf said it was done already */
    static boolean apply(Step step) throws SQLException {
        try (Connection c = admin().getConnection()) {
            return apply(c, step);
        }
    }

    static boolean apply(Connection c, Step step) throws SQLException {
        if (step.skipIf() != null) {
            try (PreparedStatement ps = c.prepareStatement(step.skipIf())) {
                for (int i = 0; i < step.skipParams().size(); i++) ps.setString(i + 1, step.skipParams().get(i));
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) return false;
                }
            }
        }
        // As the executor times a step: a catalog-only one waits for its lock at most LOCK_TIMEOUT.
        boolean weak = step.mode() != Step.Mode.TRANSACTIONAL;
        DIALECT.setDdlTimeouts(c, weak ? Duration.ZERO : LOCK_TIMEOUT, weak ? Duration.ZERO : Duration.ofSeconds(30));
        // As the executor does: a step that found its table's metadata lock taken (NOWAIT: by a moment of the server's
        // own statistics thread, say) is tried again.
        for (int attempt = 1; ; attempt++) {
            try (Statement st = c.createStatement()) {
                st.execute(step.sql());
                return true;
            } catch (SQLException e) {
                if (!weak || e.getErrorCode() != 1205 || attempt == 5) throw e;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException i) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Tandem's default lock timeout. */
    static final Duration LOCK_TIMEOUT = Duration.ofMillis(500);
    private static final dev.tandem.dialect.mariadb.MariaDbDialect DIALECT =
            new dev.tandem.dialect.mariadb.MariaDbDialect(dev.tandem.dialect.mariadb.MariaDbDialect.Flavor.MARIADB);

    /** Applies the step, turning SQLException into an unchecked one for tests that expect success. */
    static void run(Step step) {
        try {
            apply(step);
        } catch (SQLException e) {
            throw new IllegalStateException(step.description() + ": " + e.getMessage() + "\n" + step.sql(), e);
        }
    }

    /** Applies each step in order, as {@link #run(Step)} does. */
    static void run(java.util.List<Step> steps) {
        steps.forEach(MariaDbSteps::run);
    }

    /** Steps and lists of steps (a sync trigger is several steps on MariaDB) as one list, in order. */
    static java.util.List<Step> flat(Object... parts) {
        java.util.List<Step> all = new java.util.ArrayList<>();
        for (Object p : parts) {
            if (p instanceof Step s) all.add(s);
            else for (Object s : (java.util.List<?>) p) all.add((Step) s);
        }
        return all;
    }

    static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
