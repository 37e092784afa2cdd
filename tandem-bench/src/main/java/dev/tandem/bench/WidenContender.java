package dev.tandem.bench;

import java.nio.file.Path;
import java.util.List;

/**
 * One way of changing {@code t.n} from INT to BIGINT on a live MariaDB table, measured by {@link MariaDbWidenBench}
 * on a fresh copy of the table while {@link PointWrites} run against it.
 */
interface WidenContender {
    /** What the change runs with: the server, the database holding {@code t}, and the load to tell its phases. */
    record Context(MariaDbBenchServer server, String database, long rows, SteadyLoad load, Report report, Path workDir) {
        /** {@code database}.t, quoted. */
        String table() {
            return MariaDbBenchServer.quote(database) + ".t";
        }
    }

    /**
     * @param copySeconds how long the copy (or backfill, or UPDATE) of the rows took; NaN when nothing was copied
     * @param notes       what the report says of this run besides the figures
     */
    record Change(double copySeconds, List<String> notes) {
    }

    /** The word that selects it in {@code --contenders}. */
    String key();

    /** Its name in the report. */
    String label();

    /** Whether it leaves {@code n} as BIGINT (the reference UPDATE does not change a type). */
    default boolean changesType() {
        return true;
    }

    /** Why it cannot run here (a tool that is not installed), or empty. */
    default java.util.Optional<String> unavailable() {
        return java.util.Optional.empty();
    }

    /** Set-up before the load starts, not measured (an extra column for the reference UPDATE, ...). */
    default void prepare(MariaDbBenchServer server, String table) throws Exception {
    }

    /** Makes the change while the load runs, naming each of its phases on {@code context.load()}. */
    Change change(Context context) throws Exception;

    /** The database through which the application reads {@code t} once the change is done. */
    default String applicationDatabase(String database) {
        return database;
    }

    /** Releases what the change opened for the application (called after the load stopped). */
    default void close() {
    }

    /** Databases besides {@code database} that the change created, to drop afterwards. */
    default List<String> createdDatabases(String database) {
        return List.of();
    }
}
