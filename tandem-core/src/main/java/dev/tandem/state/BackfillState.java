package dev.tandem.state;

import java.time.Instant;
import java.util.List;

/** The checkpoint of one table's backfill: the last key done, how far to go, and how many rows so far. */
public record BackfillState(String table, List<String> lastKey, List<String> upperKey, long rowsDone, long rowsTotal,
                            boolean done, int batchSize, Instant updatedAt) {
}
