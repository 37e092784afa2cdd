package dev.tandem.dialect;

import dev.tandem.catalog.Catalog;
import dev.tandem.engine.Step;
import dev.tandem.migration.ColumnDef;

import java.util.List;

/**
 * DDL text for the planner, one method per statement shape, each returning a {@link Step} that says, per table
 * and view it touches, the strongest lock it takes, and what it does to the table. Names are always quoted here,
 * never by callers. Where a statement reaches tables its text does not name (the table a dropped foreign key
 * references, the views a dropped schema holds), the caller names them.
 */
public interface Ddl {

    /**
     * A column of a version view: the physical column, the name the version sees, and the default the version
     * declares for it (null for none). The view needs its own default: PostgreSQL fills an omitted column of an
     * INSERT through a view from the table, but {@code SET n = DEFAULT} in an UPDATE or an ON CONFLICT DO UPDATE
     * takes the view column's default, NULL when it has none (PostgreSQL manual, CREATE VIEW, "Updatable Views";
     * ALTER VIEW ... ALTER COLUMN ... SET DEFAULT).
     */
    record ViewColumn(String physical, String name, String defaultExpr) {
        public ViewColumn(String physical, String name) {
            this(physical, name, null);
        }
    }

    /** A variable a sync-trigger expression can use: the name one version sees, bound to a physical column. */
    record Binding(String name, String physical) {
    }

    /** {@code target := expr}; with {@code source}, only when that physical column changed (or on insert). */
    record Assignment(String target, String expr, String source) {
    }

    /**
     * A column only the new version has (a changed column's new form, or a new column with {@code up}), as expand adds
     * it: what a previous version's insert that leaves it out puts there ({@code defaultExpr}, null: none; a NOT NULL
     * column without one holds the dialect's placeholder until the sync trigger fills it).
     *
     * @param physical the table's column
     */
    record NewFormColumn(String physical, String type, boolean notNull, String defaultExpr) {
    }

    /**
     * The row-sync logic of one table while two versions run: writes from the old version fill the new-form
     * columns with {@code up}; writes from the new version fill the old-form columns with {@code down}.
     *
     * @param newVersionSchema writers whose search_path includes it are new-version writers
     * @param fills            what the backfill would compute, applied from the old row when a writer of either
     *                         version updates a row the backfill has not reached yet (and did not set it itself)
     * @param insertOnlyDowns  old-only columns filled from the new row on insert only (dropped columns)
     * @param doneColumn       flag column marking rows that no longer need a backfill, or null
     * @param drawnDefaults    new-form columns that a new version's insert leaving them NULL fills with {@code up}
     *                         of the row, whose previous column's default has drawn the value (from a sequence)
     */
    /**
     * Tandem's sync trigger of one table. When the table has BEFORE row triggers of the user's, it is two triggers:
     * {@code firstTrigger} fires before them and gives the previous version's columns their values from a new
     * version's write ({@code down}), so the user's triggers see and adjust the row they were written for;
     * {@code trigger} fires after them and computes the new version's columns from the row as they left it
     * ({@code up}). Otherwise {@code firstTrigger} is null and {@code trigger} does both.
     *
     * <p>A write is the new version's when PostgreSQL resolved its statement to the new version's view: the session's
     * effective schemas include {@code newVersionSchema} and none of {@code shadowingSchemas} (which hold a relation
     * of the same name: the table, the previous version's view) comes before it.
     *
     * <p>Where the database has no search path to tell the versions apart (MariaDB, MySQL), a session names the version
     * it runs: {@code version} (the migration's name) for the new version, {@code previousVersion} (the previous
     * migration's name, null when the previous version is the tables themselves) or nothing for the previous one.
     * {@code userTriggers} are the table's BEFORE row triggers of the user's, in the order the database fires them,
     * for a database that orders triggers by FOLLOWS / PRECEDES rather than by name.
     */
    record SyncTrigger(String schema, String table, String functionSchema, String function, String trigger,
                       String newVersionSchema, List<String> shadowingSchemas, List<Binding> oldBindings, List<Binding> newBindings,
                       List<Assignment> fills, List<Assignment> ups, List<Assignment> downs,
                       List<Assignment> insertOnlyDowns, String doneColumn, String firstTrigger,
                       List<Assignment> drawnDefaults, String version, String previousVersion,
                       List<Catalog.Trigger> userTriggers, List<String> newVersionLogins,
                       List<NewFormColumn> newFormColumns) {
        public SyncTrigger {
            userTriggers = userTriggers == null ? List.of() : List.copyOf(userTriggers);
            newVersionLogins = newVersionLogins == null ? List.of() : List.copyOf(newVersionLogins);
            newFormColumns = newFormColumns == null ? List.of() : List.copyOf(newFormColumns);
        }

        /** Without what expand adds for the new-form columns: a previous version's insert is not checked against it. */
        public SyncTrigger(String schema, String table, String functionSchema, String function, String trigger,
                           String newVersionSchema, List<String> shadowingSchemas, List<Binding> oldBindings,
                           List<Binding> newBindings, List<Assignment> fills, List<Assignment> ups, List<Assignment> downs,
                           List<Assignment> insertOnlyDowns, String doneColumn, String firstTrigger,
                           List<Assignment> drawnDefaults, String version, String previousVersion,
                           List<Catalog.Trigger> userTriggers, List<String> newVersionLogins) {
            this(schema, table, functionSchema, function, trigger, newVersionSchema, shadowingSchemas, oldBindings,
                    newBindings, fills, ups, downs, insertOnlyDowns, doneColumn, firstTrigger, drawnDefaults, version,
                    previousVersion, userTriggers, newVersionLogins, List.of());
        }

        /** Without per-version logins: the session says its version ({@link Dialect#checkNewVersionLogins}). */
        public SyncTrigger(String schema, String table, String functionSchema, String function, String trigger,
                           String newVersionSchema, List<String> shadowingSchemas, List<Binding> oldBindings,
                           List<Binding> newBindings, List<Assignment> fills, List<Assignment> ups, List<Assignment> downs,
                           List<Assignment> insertOnlyDowns, String doneColumn, String firstTrigger,
                           List<Assignment> drawnDefaults, String version, String previousVersion,
                           List<Catalog.Trigger> userTriggers) {
            this(schema, table, functionSchema, function, trigger, newVersionSchema, shadowingSchemas, oldBindings,
                    newBindings, fills, ups, downs, insertOnlyDowns, doneColumn, firstTrigger, drawnDefaults, version,
                    previousVersion, userTriggers, List.of());
        }

        public SyncTrigger(String schema, String table, String functionSchema, String function, String trigger,
                           String newVersionSchema, List<Binding> oldBindings, List<Binding> newBindings,
                           List<Assignment> fills, List<Assignment> ups, List<Assignment> downs,
                           List<Assignment> insertOnlyDowns, String doneColumn, String firstTrigger) {
            this(schema, table, functionSchema, function, trigger, newVersionSchema, List.of(), oldBindings, newBindings,
                    fills, ups, downs, insertOnlyDowns, doneColumn, firstTrigger, List.of(), null, null, List.of(), List.of(),
                    List.of());
        }

        public String firstFunction() {
            return function + "_first";
        }
    }

    /**
     * Whether contract renames shadow columns, renamed columns and renamed tables into place. PostgreSQL: yes, in the
     * one transaction that drops the previous version (its DDL is transactional, so no statement sees a half-renamed
     * table, and its views follow a renamed column). Where a rename breaks every view and trigger naming the column
     * until each is redefined, which cannot be one atomic step (MariaDB, MySQL), physical names stay and the version's
     * views alias them ({@link dev.tandem.catalog.VersionNames}).
     */
    boolean contractRenames();

    /**
     * Whether DDL statements can run together in one transaction that commits or rolls back as a whole (PostgreSQL).
     * Where each DDL statement commits on its own (MariaDB and MySQL: "Statements That Cause an Implicit Commit"), the
     * planner orders single idempotent steps so that no moment between two of them fails a running version.
     */
    boolean transactionalDdl();

    /**
     * Whether a column is made NOT NULL through a CHECK (c IS NOT NULL) added NOT VALID and validated before SET NOT
     * NULL, which the validated check lets skip its scan under an exclusive lock (PostgreSQL 12+, ALTER TABLE, SET NOT
     * NULL). False where the server can only set NOT NULL on a live column by reading every row (MariaDB: an in-place
     * rebuild, ALGORITHM=INPLACE, which under busy writers gets its lock only after many attempts) but can add a NOT
     * NULL column catalog-only: then every column that must be NOT NULL in the new version is one Tandem adds (a new
     * column, or a changed column's new form), and {@link #addNotNullColumn} adds it NOT NULL at expand, so that
     * contract has no statement to run for it (docs/DESIGN.md, "NOT NULL on MariaDB").
     */
    boolean notNullByCheck();

    /**
     * Gives a NOT NULL column without a default, which only the sync trigger fills for the new version's inserts, a
     * constant default of its type (0, '', the epoch, an enum's first value), so that those inserts pass in the moment
     * between dropping the trigger and dropping the column. Only planned where DDL is not transactional (see {@link
     * #transactionalDdl}); elsewhere the two go in one transaction.
     *
     * @throws UnsupportedOperationException where DDL is transactional, which never needs it
     */
    Step placeholderDefault(String schema, String table, String column, String type);

    /**
     * {@link #placeholderDefault}, skipped when the column is not there (a rollback of an expand that stopped before
     * adding it). Planned by rollback for the NOT NULL columns expand added ({@link #addNotNullColumn}) before it drops
     * the sync trigger that fills them.
     *
     * @throws UnsupportedOperationException where DDL is transactional, which never needs it
     */
    default Step placeholderDefaultIfPresent(String schema, String table, String column, String type) {
        throw new UnsupportedOperationException("only where DDL is not transactional");
    }

    Step createSchema(String schema);

    /** @param views the views in it, which the drop locks */
    Step dropSchema(String schema, List<String> views);

    Step createTable(String schema, String table, List<ColumnDef> columns);

    /** @param referencedTables tables its foreign keys reference: dropping them locks those too */
    Step dropTable(String schema, String table, List<String> referencedTables);

    Step renameTable(String schema, String from, String to);

    /**
     * Adds a NOT NULL column, catalog only, where {@link #notNullByCheck} is false, with a placeholder default of its
     * type: the rows already there hold it until the backfill gives them their values (the new version is published only
     * then), and so do the previous version's inserts until the sync trigger fills the column. The planner drops the
     * placeholder once the trigger is there ({@link #dropDefault}); from then on a new version's write that leaves the
     * column out or NULL fails, as on any NOT NULL column. {@code collation} as for {@link #addColumn(String, String,
     * String, String, String, String)}.
     *
     * @throws UnsupportedOperationException where {@link #notNullByCheck} is true, which never needs it
     */
    default Step addNotNullColumn(String schema, String table, String column, String type, String collationSchema,
                                  String collation) {
        throw new UnsupportedOperationException("NOT NULL columns are made NOT NULL by a validated check here");
    }

    /** Adds a nullable column with no default: catalog only, never a rewrite. */
    Step addColumn(String schema, String table, String column, String type);

    /** Like {@link #addColumn(String, String, String, String)}, with a collation (null: the type's own). */
    Step addColumn(String schema, String table, String column, String type, String collationSchema, String collation);

    /**
     * Gives a column the comment, statistics target and attribute options ({@code name=value}) of another, where
     * given (null or empty: left as they are). Catalog only.
     */
    Step setColumnSettings(String schema, String table, String column, String comment, Integer statistics,
                           List<String> options, String why);

    /**
     * Sets a column's storage ({@code p}, {@code e}, {@code m}, {@code x}) and compression ({@code p}, {@code l}),
     * where given; skipped when the column's type can only be stored plain, which takes neither. Catalog only.
     */
    Step setColumnStorage(String schema, String table, String column, String storage, String compression, String why);

    /** Makes a sequence belong to another column, so that dropping its old column does not drop it. */
    Step sequenceOwnedBy(String sequenceSchema, String sequence, String schema, String table, String column);

    /** Changes a sequence's data type (and with it the limits it had from its old type). */
    Step sequenceAs(String sequenceSchema, String sequence, String type);

    /** @param referencedTables tables the column's foreign keys reference: they are dropped with it */
    Step dropColumn(String schema, String table, String column, List<String> referencedTables);

    Step renameColumn(String schema, String table, String from, String to);

    Step setDefault(String schema, String table, String column, String expr);

    Step dropDefault(String schema, String table, String column);

    /** Adds a CHECK that only new writes must pass; existing rows are checked by {@link #validateConstraint}. */
    Step addCheckNotValid(String schema, String table, String name, String expr);

    default Step addForeignKeyNotValid(String schema, String table, String name, List<String> columns, String refTable,
                                       List<String> refColumns, String onDelete) {
        return addForeignKeyNotValid(schema, table, name, columns, schema, refTable, refColumns, onDelete);
    }

    /** A foreign key to a table in {@code refSchema}, which may be another schema than the table's. */
    Step addForeignKeyNotValid(String schema, String table, String name, List<String> columns, String refSchema,
                               String refTable, List<String> refColumns, String onDelete);

    /** Validates a CHECK constraint; foreign keys use {@link #validateForeignKey}. */
    Step validateConstraint(String schema, String table, String name);

    Step validateForeignKey(String schema, String table, String name, String refTable);

    /** SET NOT NULL; cheap when a validated {@code CHECK (col IS NOT NULL)} already proves it. */
    Step setNotNull(String schema, String table, String column);

    /** Drops a constraint that is not a foreign key; those use {@link #dropForeignKey}. */
    Step dropConstraint(String schema, String table, String name);

    Step dropForeignKey(String schema, String table, String name, String refTable);

    Step renameConstraint(String schema, String table, String from, String to);

    /** An index over plain columns, ascending: {@link #createIndex(String, String, String, Catalog.IndexShape, boolean)}. */
    default Step createIndex(String schema, String table, String name, List<String> columns, boolean unique, String method) {
        List<Catalog.IndexKey> keys = columns.stream()
                .map(c -> new Catalog.IndexKey(c, null, null, null, List.of(), false, false)).toList();
        return createIndex(schema, table, name, new Catalog.IndexShape(method, keys, List.of(), false, List.of(), null, null), unique);
    }

    /** An index of the whole shape the catalog describes (built concurrently, as every index Tandem builds). */
    Step createIndex(String schema, String table, String name, Catalog.IndexShape shape, boolean unique);

    /** Gives a row-level security policy new expressions (null: that one stays). */
    Step alterPolicy(String schema, String table, String policy, String using, String withCheck);

    Step replicaIdentityUsingIndex(String schema, String table, String index);

    /** Marks the index CLUSTER uses for the table. */
    Step clusterOn(String schema, String table, String index);

    Step dropIndex(String schema, String table, String name);

    /** @param table the index's table: MariaDB names indexes per table; PostgreSQL per schema, and ignores it */
    Step renameIndex(String schema, String table, String from, String to);

    /** COMMENT ON INDEX: a rebuilt index gets the comment of the one it replaces (a rename keeps it). */
    Step commentOnIndex(String schema, String index, String comment);

    /** COMMENT ON CONSTRAINT: a rebuilt constraint gets the comment of the one it replaces (a rename keeps it). */
    Step commentOnConstraint(String schema, String table, String constraint, String comment);

    Step addUniqueUsingIndex(String schema, String table, String constraint, String index);

    Step addPrimaryKeyUsingIndex(String schema, String table, String constraint, String index);

    /**
     * A version's view of a table. With {@code securityInvoker} (PostgreSQL 15+), privileges on the table and its
     * row-level security policies are checked as the querying role, as they are on the table itself ("CREATE VIEW",
     * security_invoker, in the PostgreSQL manual); without, as the view's owner.
     */
    Step createView(String versionSchema, String view, String schema, String table, List<ViewColumn> columns,
                    boolean securityInvoker);

    /** A privilege to give on a view (or a column of a table); {@code column} null for the whole relation. */
    record Grant(String grantee, String privilege, String column, boolean grantable) {
    }

    /** Gives the roles on {@code schema.relation} the privileges they hold on the table it stands for. */
    Step grant(String schema, String relation, List<Grant> grants, String why);

    /** Lets the roles use a version schema (without it, PostgreSQL silently skips the schema in their search path). */
    Step grantSchemaUsage(String schema, java.util.Collection<String> roles);

    /**
     * The steps that create the table's sync trigger(s), in order: one where the database creates them in one
     * transaction (PostgreSQL), one per trigger where each statement commits on its own (MariaDB), so that each takes
     * its lock by itself. Any prefix of the steps must leave both versions' writes reaching the other form, or the
     * backfill able to repair them.
     */
    List<Step> createSyncTrigger(SyncTrigger trigger);

    /** The steps that drop what {@link #createSyncTrigger} created, each idempotent. */
    List<Step> dropSyncTrigger(SyncTrigger trigger);

    Step rawSql(String description, String sql);

    /** An expression that says NOT NULL for a CHECK constraint. */
    String notNullCheck(String column);
}
