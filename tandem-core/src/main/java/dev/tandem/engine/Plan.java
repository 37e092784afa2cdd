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
 * @param publish               what makes the new version usable (its version schema, views and grants), one
 *                              transaction run when the version is <em>ready</em>: at the end of expand when there
 *                              is nothing to backfill, else when the backfill completes, so that the new version
 *                              never reads or updates a row its backfill has not reached
 */
public record Plan(String migration, String schema, String versionSchema, String previousVersionSchema,
                   List<Step> expand, List<BackfillTask> backfill, List<Step> contract, List<Step> rollback,
                   List<Dropped> contractDrops, List<Irreversible> irreversible, List<RowCheck> rowChecks,
                   List<Carried> carried, List<String> notices, List<Step> publish, List<String> newVersionLogins) {

    /**
     * A plan whose new version is told by the session alone (no per-version logins).
     */
    public Plan(String migration, String schema, String versionSchema, String previousVersionSchema,
                List<Step> expand, List<BackfillTask> backfill, List<Step> contract, List<Step> rollback,
                List<Dropped> contractDrops, List<Irreversible> irreversible, List<RowCheck> rowChecks,
                List<Carried> carried, List<String> notices, List<Step> publish) {
        this(migration, schema, versionSchema, previousVersionSchema, expand, backfill, contract, rollback, contractDrops,
                irreversible, rowChecks, carried, notices, publish, List.of());
    }

    public Plan {
        // Logins whose sessions are the new version (README, "MariaDB"); plans stored before them have none.
        newVersionLogins = newVersionLogins == null ? List.of() : List.copyOf(newVersionLogins);
        // Plans stored by earlier Tandem versions create the version schema in expand.
        publish = publish == null ? List.of() : List.copyOf(publish);
        // Plans stored by earlier Tandem versions have neither list.
        carried = carried == null ? List.of() : List.copyOf(carried);
        notices = notices == null ? List.of() : List.copyOf(notices);
        rowChecks = rowChecks == null ? List.of() : List.copyOf(rowChecks);
        // Plans stored by earlier Tandem versions have neither list.
        contractDrops = contractDrops == null ? List.of() : List.copyOf(contractDrops);
        irreversible = irreversible == null ? List.of() : List.copyOf(irreversible);
    }

    /** This plan with {@code more} added to its notices (what {@code plan} says as NOTE lines). */
    public Plan withNotices(List<String> more) {
        if (more.isEmpty()) return this;
        List<String> all = new java.util.ArrayList<>(notices);
        all.addAll(more);
        return new Plan(migration, schema, versionSchema, previousVersionSchema, expand, backfill, contract, rollback,
                contractDrops, irreversible, rowChecks, carried, all, publish, newVersionLogins);
    }

    /**
     * Something of the previous version's shape that contract drops, so that before contract Tandem can look for
     * the database objects that would stop the drop (views, rules, policies, foreign keys, ... of the user's).
     *
     * @param kind  {@code table}, {@code column}, {@code replaced} (a column whose shadow takes its place),
     *              {@code index} or {@code constraint}
     * @param table the table's physical name (for an index, the table it is on)
     * @param name  the column, index or constraint; null for a table
     * @param at    the operation that drops it, where one does (null for what Tandem itself replaces)
     * @param repointed policies on the table that depend on it and that contract points at what replaces it, in
     *              the same transaction, before the drop: they do not stop it
     */
    public record Dropped(String kind, String table, String name, dev.tandem.migration.SourceLocation at,
                          List<String> repointed) {
        public Dropped {
            // Plans stored by earlier Tandem versions have no such list.
            repointed = repointed == null ? List.of() : List.copyOf(repointed);
        }

        public Dropped(String kind, String table, String name, dev.tandem.migration.SourceLocation at) {
            this(kind, table, name, at, List.of());
        }
    }

    /**
     * One of the user's objects attached to what the migration changes, and how Tandem keeps it: {@code plan} lists
     * them so that nothing is carried (or lost) without the user having been told.
     *
     * @param object what it is, as the user knows it (e.g. {@code index "orders_email_idx" on orders})
     * @param how    what Tandem does with it, and in which phase
     */
    public record Carried(String object, String how) {
    }

    /**
     * An expand step that rollback cannot undo (raw SQL without {@code down}). Once expand has run it, rollback
     * refuses unless told to leave it in place.
     *
     * @param expandStep the step's index in {@link #expand()}
     * @param reason     what it is and where it comes from (file:line)
     */
    public record Irreversible(int expandStep, String reason) {
    }

    /**
     * A condition every row must meet that contract enforces only after its point of no return (a check written
     * with the new version's names), so it is checked beforehand through the new version's view.
     *
     * @param view      the new version's name of the table (a view in the version schema)
     * @param what      what the user calls it, for messages
     * @param condition SQL over the new version's row
     */
    /**
     * A condition every row must meet at contract: over the new version's view ({@code condition}, its names), and,
     * where known, over the table itself ({@code table}, {@code tableCondition}: physical names), which verify walks.
     */
    public record RowCheck(String view, String what, String condition, String table, String tableCondition) {
        public RowCheck(String view, String what, String condition) {
            this(view, what, condition, null, null);
        }
    }

    /** Whether the new version becomes usable only once the backfill completes (not already at expand). */
    public boolean publishedAfterBackfill() {
        return !publish.isEmpty() && !backfill.isEmpty();
    }

    /** The first contract step after which the previous version's shape is gone: every step before it only checks. */
    public int pointOfNoReturn() {
        int i = 0;
        while (i < contract.size() && contract.get(i).mode() == Step.Mode.LONG) i++;
        return i;
    }

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
