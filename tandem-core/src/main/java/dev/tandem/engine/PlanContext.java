package dev.tandem.engine;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.Dialect;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation;
import dev.tandem.migration.SourceLocation;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The planner's working state: the new version's schema as the operations so far shaped it, and the steps each
 * phase has collected, grouped in stages so that, for example, every sync trigger exists before any constraint
 * that relies on it.
 */
public final class PlanContext {
    /**
     * {@code RAW_FIRST}: raw SQL that comes before every other operation; {@code RAW_AFTER}: raw SQL that comes after
     * one, which then runs after what the operations before it add (columns, constraints, indexes), as written.
     */
    public enum ExpandStage { RAW_FIRST, TABLES, COLUMNS, SYNC, CONSTRAINTS, INDEXES, RAW_AFTER, VIEWS }

    /**
     * {@code REPOINT}: the user's objects that depend on a column contract drops (policies) are pointed at the shadow
     * column that replaces it, in the same transaction, just before the drop.
     */
    public enum ContractStage { VALIDATE, DROP_OLD_VERSION, DROP_SYNC, REPOINT, DROP, RENAME_COLUMNS, RENAME_TABLES, FINALIZE, LATE_CONSTRAINTS, CLEANUP }

    /**
     * Rollback undoes expand in reverse: the new version's views (made last) first, then raw SQL that came after other
     * operations (it may use what they added), then those operations' indexes, trigger, constraints, columns and
     * tables, and raw SQL that came first last of all.
     */
    public enum RollbackStage { DROP_NEW_VERSION, RAW_AFTER, DROP_INDEXES, DROP_SYNC, DROP_CONSTRAINTS, DROP_COLUMNS, DROP_TABLES, RAW }

    /**
     * Contract stages that run as one transaction: between dropping a sync trigger and dropping (or renaming) the
     * columns it kept filled, writes of the version still running would fail.
     */
    private static final java.util.Set<ContractStage> ATOMIC_CONTRACT = java.util.EnumSet.of(ContractStage.DROP_OLD_VERSION,
            ContractStage.DROP_SYNC, ContractStage.REPOINT, ContractStage.DROP, ContractStage.RENAME_COLUMNS, ContractStage.RENAME_TABLES,
            ContractStage.FINALIZE);

    /**
     * Likewise for rollback: the trigger, the new columns and the checks on them go together. The new version's
     * schema goes before, on its own: the previous version never uses it.
     */
    private static final java.util.Set<RollbackStage> ATOMIC_ROLLBACK = java.util.EnumSet.of(
            RollbackStage.DROP_SYNC, RollbackStage.DROP_CONSTRAINTS, RollbackStage.DROP_COLUMNS, RollbackStage.DROP_TABLES);

    /**
     * An SQL expression from the file to be checked against the database before anything changes.
     *
     * @param table the live table whose existing rows the expression is also tried on ({@code row} names their
     *              physical columns), or null when it is tried on a stand-in row only
     * @param key   the columns {@code table}'s rows are walked by (its primary key); empty with no table
     */
    public record ExpressionCheck(SourceLocation location, String what, String expression,
                                  List<Ddl.ViewColumn> row, Map<String, String> rowTypes, String targetType,
                                  String table, List<String> key) {
        public ExpressionCheck(SourceLocation location, String what, String expression, List<Ddl.ViewColumn> row,
                               Map<String, String> rowTypes, String targetType) {
            this(location, what, expression, row, rowTypes, targetType, null, List.of());
        }
    }

    /**
     * An index Tandem builds again on a shadow column, to be tried on an empty copy of the table before anything
     * changes: what does not fit the column's new type (an operator class, a collation, an expression) is refused.
     *
     * @param addedColumns the shadow columns the index uses, name → type
     */
    public record IndexCheck(SourceLocation location, String what, String todo, String table,
                             Map<String, String> addedColumns, Catalog.IndexShape shape, boolean unique) {
    }

    public final List<IndexCheck> indexChecks = new ArrayList<>();

    public final Dialect dialect;
    public final Ddl ddl;
    public final String schema;
    public final String migration;
    public final String versionSchema;
    public final String previousVersionSchema;
    public final Catalog catalog;
    /** Every table of the new version (and dropped ones, flagged), keyed by physical name. */
    public final Map<String, TableModel> tables = new LinkedHashMap<>();
    public final List<ExpressionCheck> checks = new ArrayList<>();
    /** What contract will drop of the previous version's shape, for the check for objects that would block it. */
    public final List<Plan.Dropped> contractDrops = new ArrayList<>();
    /** Raw SQL without {@code down}: the steps (by identity) and why rollback cannot undo them. */
    private final Map<Step, String> irreversible = new java.util.IdentityHashMap<>();
    /** Index names the new version has, to refuse duplicates; physical index name → table model. */
    public final Map<String, String> indexes = new LinkedHashMap<>();

    /** Logins whose sessions are the new version's without saying so (README, "MariaDB"); empty: none. */
    public List<String> newVersionLogins = List.of();

    private final Map<Object, Object> notes = new java.util.IdentityHashMap<>();
    /** What probing the migration's raw SQL measured (empty when it was not probed). */
    public final Map<Operation.RawSql, RawSqlProbe.Result> probes = new java.util.IdentityHashMap<>();

    private final EnumMap<ExpandStage, List<Step>> expand = new EnumMap<>(ExpandStage.class);
    private final EnumMap<ContractStage, List<Step>> contract = new EnumMap<>(ContractStage.class);
    private final EnumMap<RollbackStage, List<Step>> rollback = new EnumMap<>(RollbackStage.class);

    PlanContext(Dialect dialect, String schema, String migration, String previousVersionSchema, Catalog catalog,
                dev.tandem.catalog.VersionNames previousNames) {
        this.dialect = dialect;
        this.ddl = dialect.ddl();
        this.schema = schema;
        this.migration = migration;
        this.versionSchema = Names.versionSchema(schema, migration);
        this.previousVersionSchema = previousVersionSchema;
        this.catalog = catalog;
        for (Catalog.Table t : catalog.tables().values()) {
            tables.put(t.name(), new TableModel(t.name(), t, previousNames));
        }
        indexes.putAll(catalog.indexToTable());
    }

    /**
     * The name a table has after contract's renames, for contract's statements that come after them: the new version's
     * name where contract renames ({@link Ddl#contractRenames}), else its physical name, which stays.
     */
    public String contractName(TableModel table) {
        return ddl.contractRenames() ? table.name : table.physical;
    }

    /** The name a column has after contract's renames; see {@link #contractName(TableModel)}. */
    public String contractName(TableModel.ColumnModel column) {
        return ddl.contractRenames() ? column.name : column.physical;
    }

    /**
     * Adds a column of the new version (a new column, or a changed column's new form) at expand: NOT NULL from the
     * start where the database makes a live column NOT NULL only by reading every row ({@link Ddl#notNullByCheck} false),
     * else nullable, made NOT NULL by {@link #notNullAtExpand} and {@link #notNullAtContract}.
     */
    public Step addNewColumn(String table, String column, String type, boolean notNull, String collationSchema,
                             String collation) {
        Step nullable = ddl.addColumn(schema, table, column, type, collationSchema, collation);
        if (!notNull || ddl.notNullByCheck()) return nullable;
        Step step = ddl.addNotNullColumn(schema, table, column, type, collationSchema, collation);
        notNullAdds.put(step.sql(), new NotNullAdd(List.of(table, column), nullable));
        return step;
    }

    /**
     * A NOT NULL column {@link #addNewColumn} added with a placeholder, and the nullable form it falls back to.
     *
     * @param column table and column, physical names
     */
    private record NotNullAdd(List<String> column, Step nullable) {
    }

    /** By the statement that adds the column NOT NULL (callers may add locks to the step, which makes a new Step). */
    private final Map<String, NotNullAdd> notNullAdds = new LinkedHashMap<>();
    /** Columns (table, column; physical) a unique index of the new version covers, built at expand. */
    private final java.util.Set<List<String>> uniquelyIndexed = new java.util.HashSet<>();
    /** Contract's SET NOT NULL skipped when expand added the column NOT NULL, by column, with the unconditional form. */
    private final Map<List<String>, Step[]> setNotNullAtContract = new LinkedHashMap<>();

    /**
     * Says that expand builds a unique index over these columns of {@code table} (physical names). Such a column
     * cannot hold {@link #addNewColumn}'s placeholder: every row the backfill has not reached yet would have the same
     * value, and the index build fails on the duplicates (MariaDB: error 1062; found by LockSafetyTest's unique
     * email). It is added nullable instead and made NOT NULL in place at contract ({@link #keepUniqueColumnsNullable}).
     */
    public void uniqueIndexOver(String table, java.util.Collection<String> columns) {
        for (String c : columns) uniquelyIndexed.add(List.of(table, c));
    }

    /**
     * Called once every operation is planned: the NOT NULL columns that a unique index covers go back to being added
     * nullable at expand, and contract's SET NOT NULL of them runs as it did before expand added columns NOT NULL.
     */
    public void keepUniqueColumnsNullable() {
        for (List<Step> steps : expand.values()) {
            steps.replaceAll(step -> {
                NotNullAdd add = notNullAdds.get(step.sql());
                if (add == null || !uniquelyIndexed.contains(add.column())) return step;
                Step n = add.nullable();
                return new Step(n.description() + " (NOT NULL at contract: a unique index covers it, and a placeholder"
                        + " in every row not yet backfilled would break it)", n.sql(), step.locks(), n.effect(),
                        n.skipIf(), n.skipParams(), n.mode(), n.repairIf(), n.repair());
            });
        }
        for (Map.Entry<List<String>, Step[]> e : setNotNullAtContract.entrySet()) {
            if (!uniquelyIndexed.contains(e.getKey())) continue;
            for (List<Step> steps : contract.values()) {
                steps.replaceAll(step -> step == e.getValue()[0] ? e.getValue()[1] : step);
            }
        }
    }

    /**
     * Makes a column NOT NULL, expand's part: with {@link Ddl#notNullByCheck}, a CHECK added NOT VALID (new writes obey
     * it from then on); otherwise {@link #addNewColumn} added it NOT NULL with a placeholder default, which goes once the
     * sync trigger fills the column for the previous version (SYNC comes before CONSTRAINTS), unless the column has a
     * default of its own by then: a new version's insert that leaves the column out must fail, not store the placeholder.
     */
    public void notNullAtExpand(TableModel table, TableModel.ColumnModel column, String checkName) {
        if (ddl.notNullByCheck()) {
            expand(ExpandStage.CONSTRAINTS, ddl.addCheckNotValid(schema, table.physical, checkName, ddl.notNullCheck(column.physical)));
        } else if (column.defaultExpr == null || column.takesPreviousDefault) {
            expand(ExpandStage.CONSTRAINTS, ddl.dropDefault(schema, table.physical, column.physical));
            // Rollback drops the sync trigger before the column (no transactional DDL): in between, the previous
            // version's inserts, which leave the column out, need its placeholder back (KillAnywhereTest on MariaDB:
            // "Field 'w' doesn't have a default value" from the old version's inserts during rollback).
            rollback(RollbackStage.DROP_INDEXES, ddl.placeholderDefaultIfPresent(schema, table.physical, column.physical,
                    column.type));
        }
    }

    /**
     * Makes a column NOT NULL, contract's part: with {@link Ddl#notNullByCheck}, the check validated, then SET NOT NULL
     * and the check dropped; otherwise the column is NOT NULL since expand: contract's row check still refuses a NULL
     * however one got there, and SET NOT NULL is skipped unless someone made the column nullable.
     */
    public void notNullAtContract(TableModel table, TableModel.ColumnModel column, String checkName) {
        if (ddl.notNullByCheck()) {
            contract(ContractStage.VALIDATE, ddl.validateConstraint(schema, table.physical, checkName));
            contract(ContractStage.FINALIZE, ddl.setNotNull(schema, contractName(table), contractName(column)));
            contract(ContractStage.FINALIZE, ddl.dropConstraint(schema, contractName(table), checkName));
        } else {
            // The column is NOT NULL since expand; verify counts NULLs, and contract's preflight refuses with the rows,
            // should it have been made nullable behind Tandem's back. Then, and only then, SET NOT NULL runs (in place);
            // otherwise it finds the column NOT NULL and is skipped.
            Step set = ddl.setNotNull(schema, table.physical, column.physical);
            Step onlyIf = new Step("only if it is no longer NOT NULL (expand added it so): "
                    + set.description(), set.sql(), set.locks(), set.effect(), set.skipIf(), set.skipParams(), set.mode(),
                    set.repairIf(), set.repair());
            setNotNullAtContract.put(List.of(table.physical, column.physical), new Step[]{onlyIf, set});
            contract(ContractStage.VALIDATE, onlyIf);
            rowChecks.add(new Plan.RowCheck(table.name, "NOT NULL of column " + column.name,
                    dialect.quote(column.name) + " IS NOT NULL", table.physical, dialect.quote(column.physical) + " IS NOT NULL"));
        }
    }

    /** The migration being planned, for where its fields were written; null when planned without one. */
    public dev.tandem.migration.Migration source;

    /** Where {@code field} of {@code op} was written, for problems found against the database. */
    public SourceLocation at(dev.tandem.migration.Operation op, String field) {
        return source == null ? op.location() : source.at(op, field);
    }

    /** The table the new version calls {@code name}, or a file:line error. */
    public TableModel table(String name, SourceLocation at) {
        return findTable(name).orElseThrow(() -> new MigrationException(at, "table \"" + name + "\" does not exist"
                + " in schema \"" + schema + "\"" + knownTables()));
    }

    public Optional<TableModel> findTable(String name) {
        return tables.values().stream().filter(t -> !t.droppedInNewVersion && t.name.equals(name)).findFirst();
    }

    /** The table {@code op} changes (by the name the new version has so far), if any. */
    public Optional<TableModel> changedTable(Operation op) {
        String name;
        if (op instanceof Operation.AddColumn o) name = o.table();
        else if (op instanceof Operation.DropColumn o) name = o.table();
        else if (op instanceof Operation.RenameColumn o) name = o.table();
        else if (op instanceof Operation.AlterColumn o) name = o.table();
        else if (op instanceof Operation.RenameTable o) name = o.from();
        else if (op instanceof Operation.DropTable o) name = o.table();
        else if (op instanceof Operation.CreateIndex o) name = o.table();
        else if (op instanceof Operation.AddConstraint o) name = o.table();
        else if (op instanceof Operation.DropConstraint o) name = o.table();
        else return Optional.empty(); // create_table, drop_index (it goes with its own table only) and raw SQL
        return findTable(name);
    }

    private String knownTables() {
        List<String> names = tables.values().stream().filter(t -> !t.droppedInNewVersion).map(t -> t.name).toList();
        return names.isEmpty() ? " (it has no tables)" : " (tables: " + String.join(", ", names) + ")";
    }

    public TableModel.ColumnModel column(TableModel table, String name, SourceLocation at) {
        return table.column(name).orElseThrow(() -> new MigrationException(at, "column \"" + name
                + "\" does not exist in table \"" + table.name + "\" (columns: "
                + String.join(", ", table.columns.stream().map(c -> c.name).toList()) + ")"));
    }

    /** Keeps what {@code validate} learned about an operation for its later questions. */
    public void remember(Object operation, Object note) {
        notes.put(operation, note);
    }

    @SuppressWarnings("unchecked")
    public <T> T recall(Object operation) {
        return (T) notes.get(operation);
    }

    public void addTable(TableModel table) {
        tables.put(table.physical, table);
    }

    public TableModel newTable(String name) {
        return new TableModel(name, null, dev.tandem.catalog.VersionNames.NONE);
    }

    /** The steps of one stage of expand planned so far. */
    public List<Step> expandStage(ExpandStage stage) {
        return List.copyOf(expand.getOrDefault(stage, List.of()));
    }

    public void expand(ExpandStage stage, Step step) {
        expand.computeIfAbsent(stage, s -> new ArrayList<>()).add(step);
    }

    public void contract(ContractStage stage, Step step) {
        contract.computeIfAbsent(stage, s -> new ArrayList<>()).add(step);
    }

    public void rollback(RollbackStage stage, Step step) {
        rollback.computeIfAbsent(stage, s -> new ArrayList<>()).add(step);
    }

    public final List<Plan.RowCheck> rowChecks = new ArrayList<>();
    /** The user's objects this migration carries to the new shape, for {@code plan} to list. */
    public final List<Plan.Carried> carried = new ArrayList<>();
    /** What the user must know or do outside the database Tandem migrates (e.g. on logical-replication subscribers). */
    public final List<String> notices = new ArrayList<>();

    /** Records that {@code object} of the user's is carried, and how, for {@code plan} to list. */
    public void carries(String object, String how) {
        carried.add(new Plan.Carried(object, how));
    }

    /** Records something the user must do or know that Tandem cannot do for them. */
    public void notice(String text) {
        notices.add(text);
    }
    /** The tables that existed before the migration's raw SQL ran (the catalog itself is read after it). */
    public final java.util.Set<String> tablesBeforeRawSql = new java.util.HashSet<>();

    /** Contract will drop this: a column ({@code name} set), a table, an index or a constraint. */
    public void willDrop(String kind, String table, String name, SourceLocation at) {
        willDrop(kind, table, name, at, List.of());
    }

    /** Likewise, with the policies on the table that contract points elsewhere before the drop. */
    public void willDrop(String kind, String table, String name, SourceLocation at, List<String> repointed) {
        contractDrops.add(new Plan.Dropped(kind, table, name, at, repointed));
    }

    /** Marks an expand step that rollback cannot undo. */
    public void irreversible(Step step, String reason) {
        irreversible.put(step, reason);
    }

    /** The irreversible steps with their index in the flattened expand phase. */
    List<Plan.Irreversible> irreversibleSteps(List<Step> expandSteps) {
        List<Plan.Irreversible> result = new ArrayList<>();
        for (int i = 0; i < expandSteps.size(); i++) {
            String reason = irreversible.get(expandSteps.get(i));
            if (reason != null) result.add(new Plan.Irreversible(i, reason));
        }
        return result;
    }

    /** Raw SQL is undone last-first, so each down runs against what the later ups had not yet built. */
    public void rollbackFirst(RollbackStage stage, Step step) {
        rollback.computeIfAbsent(stage, s -> new ArrayList<>()).add(0, step);
    }

    /**
     * Records an expression of the file to be tried on the live database once the plan is made; refuses at once, at
     * its place in the file, text that would not stay one expression in this database's statements (a sync trigger
     * built from it would run what it smuggles in).
     *
     * @throws MigrationException when {@link Dialect#expressionTextProblem} finds a problem with the text
     */
    public void check(SourceLocation at, String what, String expression, List<Ddl.ViewColumn> row,
                      Map<String, String> rowTypes, String targetType) {
        String problem = dialect.expressionTextProblem(expression);
        if (problem != null) throw new MigrationException(at, what + " `" + expression + "` " + problem);
        checks.add(new ExpressionCheck(at, what, expression, row, rowTypes, targetType));
    }

    /**
     * Like {@link #check}, for an {@code up} over the previous version's row of a table that exists: the expression is
     * also tried on the table's existing rows, which the backfill will give it (a cast of text that is not a number
     * passes a row of NULLs and fails there).
     */
    public void checkOverRows(SourceLocation at, String what, String expression, TableModel t, String targetType) {
        check(at, what, expression, oldRow(t), oldRowTypes(t), targetType);
        ExpressionCheck c = checks.remove(checks.size() - 1);
        checks.add(new ExpressionCheck(c.location(), c.what(), c.expression(), c.row(), c.rowTypes(), c.targetType(),
                t.live.name(), t.live.primaryKey()));
    }

    /** The old version's row of a table: its live columns under their own names. */
    /** The previous version's row: each live column under the name that version gives it. */
    public List<Ddl.ViewColumn> oldRow(TableModel t) {
        return t.live.columns().stream().map(c -> new Ddl.ViewColumn(c.name(), t.previousName(c))).toList();
    }

    /** The previous version's row's types, by the names that version gives the columns. */
    public Map<String, String> oldRowTypes(TableModel t) {
        Map<String, String> types = new LinkedHashMap<>();
        t.live.columns().forEach(c -> types.put(t.previousName(c), c.type()));
        return types;
    }

    /** The new version's row as the operations so far shaped it. */
    public List<Ddl.ViewColumn> newRow(TableModel t) {
        // An identity column has no default to copy; the table's identity fills it on INSERT through the view. A new
        // form that takes the value its previous column's sequence default drew has none either: one draw per insert.
        return t.columns.stream().map(c -> new Ddl.ViewColumn(c.physical, c.name,
                (c.live != null && c.live.isIdentity()) || c.takesPreviousDefault ? null : c.defaultExpr)).toList();
    }

    public Map<String, String> newRowTypes(TableModel t) {
        Map<String, String> types = new LinkedHashMap<>();
        t.columns.forEach(c -> types.put(c.name, c.type));
        return types;
    }

    static List<Step> flatten(EnumMap<?, List<Step>> stages) {
        return flatten(stages, java.util.Set.of(), null);
    }

    /** The stages' steps in order, those of the {@code atomic} stages merged into one step where they stand. */
    static <S extends Enum<S>> List<Step> flatten(EnumMap<S, List<Step>> stages, java.util.Set<S> atomic, String atomicName) {
        List<Step> all = new ArrayList<>();
        List<Step> group = new ArrayList<>();
        for (var e : stages.entrySet()) {
            if (atomic.contains(e.getKey())) {
                group.addAll(e.getValue());
                continue;
            }
            if (!group.isEmpty()) {
                all.add(group.size() == 1 ? group.get(0) : Step.atomic(atomicName, group));
                group = new ArrayList<>();
            }
            all.addAll(e.getValue());
        }
        if (!group.isEmpty()) all.add(group.size() == 1 ? group.get(0) : Step.atomic(atomicName, group));
        return all;
    }

    /** Expand without the version schema, which {@link #publishSteps()} creates when the new version is ready. */
    List<Step> expandSteps() {
        EnumMap<ExpandStage, List<Step>> stages = new EnumMap<>(expand);
        stages.remove(ExpandStage.VIEWS);
        return flatten(stages);
    }

    /**
     * The new version's schema, views and grants as one transaction: a session never sees the schema with some views
     * missing (PostgreSQL would resolve their names to the tables, as the previous version).
     */
    List<Step> publishSteps() {
        List<Step> views = expand.getOrDefault(ExpandStage.VIEWS, List.of());
        if (views.isEmpty()) return List.of();
        // Without transactional DDL the schema and its views come one by one; the version is ready when the last
        // one stands (the backfill's phase moves after it). There the sync trigger tells versions by a session
        // variable, not by name lookup, and is not created again.
        if (!ddl.transactionalDdl()) return List.copyOf(views);
        List<Step> all = new ArrayList<>(beforePublishing);
        all.addAll(views);
        return List.of(all.size() == 1 ? all.get(0) : Step.atomic("publish version schema " + versionSchema, all));
    }

    private final List<Step> beforePublishing = new ArrayList<>();

    /**
     * A sync trigger, created again first thing when the version schema is published, in the same transaction. The
     * sync trigger tells a new version's write by the session's search path, and a statement whose table name was
     * looked up before the schema existed but runs after would write the table and be taken for the new version's:
     * replacing the trigger locks out writes to the table (SHARE ROW EXCLUSIVE) until the schema is there, after
     * which PostgreSQL looks the name up again for a statement that waited on the lock, and it invalidates the
     * table's cached plans, which then are planned again against the new search path.
     */
    void beforePublishing(Step syncTrigger) {
        beforePublishing.add(syncTrigger);
    }

    List<Step> contractSteps() {
        return flatten(contract, ddl.transactionalDdl() ? ATOMIC_CONTRACT : java.util.Set.of(), "switch to the new shape");
    }

    List<Step> rollbackSteps() {
        return flatten(rollback, ddl.transactionalDdl() ? ATOMIC_ROLLBACK : java.util.Set.of(), "remove what expand added");
    }
}
