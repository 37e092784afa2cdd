package dev.tandem.dialect;

import dev.tandem.TandemException;
import dev.tandem.dialect.mariadb.MariaDbDialect;
import dev.tandem.dialect.postgres.PostgresDialect;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;

/**
 * Which {@link Dialect} speaks to a database: by the server a connection reaches, or by a JDBC URL's prefix
 * ({@code jdbc:postgresql:}, {@code jdbc:mariadb:}, {@code jdbc:mysql:}). Nothing outside {@code dialect/} asks which
 * database it is; it asks this for the dialect and lets the dialect differ.
 */
public final class Dialects {
    private static final String MARIADB_DATA_SOURCE = "org.mariadb.jdbc.MariaDbDataSource";
    private static final String MYSQL_DATA_SOURCE = "com.mysql.cj.jdbc.MysqlDataSource";

    private Dialects() {
    }

    /**
     * The dialect of the server {@code c} is connected to, by {@link DatabaseMetaData#getDatabaseProductName()} (and
     * its version, which says MariaDB where a MySQL driver reaches a MariaDB server).
     *
     * @throws SQLException when the server is none Tandem supports (SQLState 0A000)
     */
    public static Dialect forConnection(Connection c) throws SQLException {
        DatabaseMetaData meta = c.getMetaData();
        String product = meta.getDatabaseProductName();
        String version = meta.getDatabaseProductVersion();
        String lower = product == null ? "" : product.toLowerCase(Locale.ROOT);
        if (lower.contains("postgresql")) return new PostgresDialect();
        if (lower.contains("mariadb") || (lower.contains("mysql") && version != null
                && version.toLowerCase(Locale.ROOT).contains("mariadb"))) {
            return new MariaDbDialect(MariaDbDialect.Flavor.MARIADB);
        }
        if (lower.contains("mysql")) return new MariaDbDialect(MariaDbDialect.Flavor.MYSQL);
        throw new SQLException("Tandem does not support " + product + " " + version
                + " (PostgreSQL, MariaDB and MySQL are supported)", "0A000");
    }

    /**
     * The dialect a JDBC URL's prefix names, or null for a prefix of another database. Only a guess for
     * {@code jdbc:mariadb:} and {@code jdbc:mysql:}, whose drivers reach either server: see {@link #settledByUrl}.
     */
    public static Dialect forUrl(String url) {
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("jdbc:postgresql:")) return new PostgresDialect();
        if (lower.startsWith("jdbc:mariadb:")) return new MariaDbDialect(MariaDbDialect.Flavor.MARIADB);
        if (lower.startsWith("jdbc:mysql:")) return new MariaDbDialect(MariaDbDialect.Flavor.MYSQL);
        return null;
    }

    /**
     * The dialect a JDBC URL settles without connecting, or null: PostgreSQL's for {@code jdbc:postgresql:}. MariaDB's
     * and MySQL's drivers each reach both servers (and a MySQL 8 server needs {@code max_execution_time} where MariaDB
     * has {@code max_statement_time}), so for those URLs the first connection tells ({@link #forConnection}).
     */
    public static Dialect settledByUrl(String url) {
        return url.toLowerCase(Locale.ROOT).startsWith("jdbc:postgresql:") ? new PostgresDialect() : null;
    }

    /**
     * A DataSource for a JDBC URL: pgjdbc's for PostgreSQL, MariaDB Connector/J's for {@code jdbc:mariadb:}, MySQL
     * Connector/J's for {@code jdbc:mysql:} (loaded by name: those drivers are needed only to reach those servers).
     *
     * @throws TandemException (INVALID_INPUT) for another kind of URL, or when the driver it needs is not on the class
     *                         path; the password in the URL is masked in the message
     */
    public static DataSource dataSource(String url, String user, String password) {
        Dialect dialect = forUrl(url);
        if (dialect == null) {
            throw new TandemException(TandemException.Kind.INVALID_INPUT, "unsupported JDBC URL (expected"
                    + " jdbc:postgresql://..., jdbc:mariadb://... or jdbc:mysql://...): " + masked(url));
        }
        if (dialect instanceof PostgresDialect) {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setURL(url);
            if (user != null) ds.setUser(user);
            if (password != null) ds.setPassword(password);
            return ds;
        }
        String driver = url.toLowerCase(Locale.ROOT).startsWith("jdbc:mariadb:") ? MARIADB_DATA_SOURCE : MYSQL_DATA_SOURCE;
        try {
            Object ds = Class.forName(driver).getConstructor().newInstance();
            // Both drivers name these setters alike (MariaDB's setUrl, MySQL's setURL).
            invoke(ds, driver.equals(MARIADB_DATA_SOURCE) ? "setUrl" : "setURL", withMultipleStatements(url));
            if (user != null) invoke(ds, "setUser", user);
            if (password != null) invoke(ds, "setPassword", password);
            return (DataSource) ds;
        } catch (ClassNotFoundException e) {
            throw new TandemException(TandemException.Kind.INVALID_INPUT, "the driver for " + masked(url) + " ("
                    + driver + ") is not on the class path");
        } catch (ReflectiveOperationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new TandemException(TandemException.Kind.INVALID_INPUT, "the JDBC URL " + masked(url)
                    + " was refused by its driver: " + cause.getMessage(), cause);
        }
    }

    /**
     * Tandem's own connections to MariaDB and MySQL send a step's statements together (a sync trigger per event, a grant
     * per role): both drivers refuse that unless {@code allowMultiQueries=true} (MariaDB Connector/J and MySQL
     * Connector/J configuration). Added unless the URL says otherwise.
     */
    static String withMultipleStatements(String url) {
        if (url.toLowerCase(Locale.ROOT).contains("allowmultiqueries=")) return url;
        return url + (url.contains("?") ? "&" : "?") + "allowMultiQueries=true";
    }

    private static void invoke(Object target, String setter, String value) throws ReflectiveOperationException {
        target.getClass().getMethod(setter, String.class).invoke(target, value);
    }

    private static String masked(String url) {
        return url.replaceAll("(?i)password=[^&;]*", "password=***");
    }
}
