package dev.tandem.engine.lifecycle;

import dev.tandem.TandemException;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.Names;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/** Where Tandem's own connections come from: autocommit, named as Tandem's, a database error told as one. */
public final class Database {
    private final DataSource dataSource;
    private final Dialect dialect;

    public Database(DataSource dataSource, Dialect dialect) {
        this.dataSource = dataSource;
        this.dialect = dialect;
    }

    /** Work done on one connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** A new connection in autocommit, named {@link Names#TOOL_APPLICATION_NAME}; the caller closes it. */
    public Connection connect() throws SQLException {
        Connection c = dataSource.getConnection();
        c.setAutoCommit(true);
        dialect.setApplicationName(c, Names.TOOL_APPLICATION_NAME);
        return c;
    }

    /**
     * Runs the work on a new connection and closes it.
     *
     * @throws TandemException {@link TandemException.Kind#DATABASE} when the database fails
     */
    public <T> T withConnection(Work<T> work) {
        try (Connection c = connect()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new TandemException(TandemException.Kind.DATABASE, "database error: " + e.getMessage(), e);
        }
    }

    static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // Already gone.
        }
    }
}
