package dev.tandem.engine;

import java.util.List;

/**
 * Everything one migration will do, phase by phase. It is computed once from the migration and the live catalog
 * before expand, and stored with the migration's state, so that backfill, contract and rollback run exactly what
 * was planned even though expand has changed the catalog since.
 *
 * @param versionSchema         the schema of views the new version uses
 * @param previousVersionSchema the previous version's schema of views, or null when the previous version used
 *                              the tables directly
 */
public record Plan(String migration, String schema, String versionSchema, String previousVersionSchema,
                   List<Step> expand, List<BackfillTask> backfill, List<Step> contract, List<Step> rollback) {

    /**
     * Filling the new-form columns of one table's existing rows.
     *
     * @param keyColumns  the primary key (or a unique NOT NULL index) the batches walk
     * @param keyTypes    the key columns' types, to read checkpoints (stored as text) back
     * @param assignments physical column := expression over the old row
     * @param doneColumn  flag set on rows that need no backfill any more (written by the sync trigger)
     */
    public record BackfillTask(String table, List<String> keyColumns, List<String> keyTypes, List<Assignment> assignments,
                               String doneColumn) {
    }

    public record Assignment(String column, String expression) {
    }
}
