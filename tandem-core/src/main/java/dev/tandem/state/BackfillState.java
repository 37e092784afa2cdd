package dev.tandem.state;

import java.time.Instant;
import java.util.List;

/**
 * The checkpoint of one table's backfill: how it walks the table, where the last batch ended, where the walk stops,
 * and how many rows so far. By {@link Walk#KEY}, the positions are key values; by {@link Walk#PAGES}, {@code lastKey}
 * is the next page and {@code upperKey} the page count, the storage walked and the rows per page when it began.
 */
public record BackfillState(String table, Walk walk, List<String> lastKey, List<String> upperKey, long rowsDone,
                            long rowsTotal, boolean done, int batchSize, Instant updatedAt) {

    /** How a backfill goes through a table: in key order, or page by page in physical order. */
    public enum Walk {
        KEY, PAGES;

        public String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Walk of(String text) {
            return valueOf(text.toUpperCase(java.util.Locale.ROOT));
        }
    }
}
