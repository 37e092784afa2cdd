package dev.tandem.bench;

import java.sql.SQLException;
import java.util.List;

/** The database server a benchmark runs against, as the report's header describes it. */
interface BenchServer extends AutoCloseable {
    /** The server, its version and its settings as the server reports them (not as they were asked for). */
    List<String> describe() throws SQLException;
}
