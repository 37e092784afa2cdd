package dev.tandem.bench;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The reference for the backfill's rows/s: one {@code UPDATE t SET n2 = n} over every row into a BIGINT column added
 * beforehand (instantly, before the load starts), as fast as the server fills a column when nothing else matters.
 * It changes no type; it runs under the same load so that its rows/s and the backfill's compare like for like.
 */
final class PlainUpdate implements WidenContender {
    @Override
    public String key() {
        return "update";
    }

    @Override
    public String label() {
        return "one UPDATE (reference)";
    }

    @Override
    public boolean changesType() {
        return false;
    }

    @Override
    public void prepare(MariaDbBenchServer server, String table) throws SQLException {
        server.exec("ALTER TABLE " + table + " ADD COLUMN n2 BIGINT NULL, ALGORITHM=INSTANT, LOCK=NONE");
    }

    @Override
    public Change change(Context context) throws SQLException {
        context.load().phase("update");
        try (Connection c = context.server().dataSource(context.database()).getConnection(); Statement st = c.createStatement()) {
            long t0 = System.nanoTime();
            long n = st.executeUpdate("UPDATE t SET n2 = n");
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (n < context.rows()) throw new IllegalStateException("UPDATE changed " + n + " rows, expected " + context.rows());
            return new Change(seconds, List.of("UPDATE t SET n2 = n (n2 BIGINT added instantly before the load)"));
        }
    }
}
