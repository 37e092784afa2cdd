package dev.tandem.bench;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The server's own {@code ALTER TABLE t MODIFY n BIGINT NOT NULL}, which MariaDB can only do by copying the table
 * ("InnoDB Online DDL Operations with ALGORITHM=COPY" in the MariaDB manual). Without clauses the server picks the
 * least locking it can; {@code clauses} names them instead (e.g. {@code ALGORITHM=COPY, LOCK=SHARED}, which is what
 * MariaDB before 11.2 and MySQL do: writes wait for the whole copy).
 */
final class NativeAlter implements WidenContender {
    static final String CHANGE = "MODIFY n BIGINT NOT NULL";

    private final String key;
    private final String clauses;
    private final List<String> notes = new ArrayList<>();

    /** @param clauses null for the statement as users type it, else the ALGORITHM and LOCK clauses to add */
    NativeAlter(String key, String clauses) {
        this.key = key;
        this.clauses = clauses;
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public String label() {
        return "ALTER" + (clauses == null ? "" : ", " + clauses);
    }

    /**
     * The statement as users type it first tries the online algorithms, to show in the report that the server
     * refuses them for this change rather than that they were not tried.
     */
    @Override
    public void prepare(MariaDbBenchServer server, String table) throws SQLException {
        if (clauses != null) return;
        String inPlace = "ALTER TABLE " + table + " " + CHANGE + ", ALGORITHM=INPLACE, LOCK=NONE";
        try {
            server.exec(inPlace);
            notes.add("ALGORITHM=INPLACE, LOCK=NONE was ACCEPTED: the table is already changed, the ALTER measured does nothing");
        } catch (SQLException e) {
            notes.add("ALGORITHM=INPLACE, LOCK=NONE refused: error " + e.getErrorCode() + ": "
                    + Report.firstLine(e.getMessage()));
        }
    }

    @Override
    public Change change(Context context) throws SQLException {
        String sql = "ALTER TABLE " + context.table() + " " + CHANGE + (clauses == null ? "" : ", " + clauses);
        notes.add(sql.replace(context.table(), "t"));
        context.load().phase("alter");
        try (Connection c = context.server().dataSource(context.database()).getConnection(); Statement st = c.createStatement()) {
            long t0 = System.nanoTime();
            st.execute(sql);
            return new Change((System.nanoTime() - t0) / 1e9, notes);
        }
    }
}
