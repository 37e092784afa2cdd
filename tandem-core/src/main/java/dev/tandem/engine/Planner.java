package dev.tandem.engine;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.PlanContext.ContractStage;
import dev.tandem.engine.PlanContext.ExpandStage;
import dev.tandem.engine.PlanContext.RollbackStage;
import dev.tandem.engine.TableModel.ColumnModel;
import dev.tandem.engine.ops.AddColumnHandler;
import dev.tandem.engine.ops.AddConstraintHandler;
import dev.tandem.engine.ops.AlterColumnHandler;
import dev.tandem.engine.ops.CreateIndexHandler;
import dev.tandem.engine.ops.CreateTableHandler;
import dev.tandem.engine.ops.DropColumnHandler;
import dev.tandem.engine.ops.DropConstraintHandler;
import dev.tandem.engine.ops.DropIndexHandler;
import dev.tandem.engine.ops.DropTableHandler;
import dev.tandem.engine.ops.RawSqlHandler;
import dev.tandem.engine.ops.RenameColumnHandler;
import dev.tandem.engine.ops.RenameTableHandler;
import dev.tandem.migration.Migration;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation;
import dev.tandem.migration.SourceLocation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a migration and the live catalog into a {@link Plan}. It never touches the database: the SQL
 * expressions it could not check itself come back as {@link PlanContext.ExpressionCheck}s for the caller to run.
 */
public final class Planner {
    private final Dialect dialect;
    private final String stateSchema;
    private final List<String> newVersionLogins;

    /**
     * @param changedTables the existing tables the migration changes, by physical name: what it asks of them the
     *                      server may not give ({@link Dialect#checkServer}); a table it only drops is not one of them
     * @param syncTriggers  whether the plan creates sync triggers
     */
    public record Result(Plan plan, List<PlanContext.ExpressionCheck> checks, List<PlanContext.IndexCheck> indexChecks,
                         List<String> changedTables, boolean syncTriggers) {
    }

    public Planner(Dialect dialect, String stateSchema) {
        this(dialect, stateSchema, List.of());
    }

    /**
     * @param newVersionLogins logins whose sessions are the new version's without saying so; the dialect must support
     *                         them ({@link Dialect#newVersionLoginsRefused}), the caller checks
     */
    public Planner(Dialect dialect, String stateSchema, List<String> newVersionLogins) {
        this.dialect = dialect;
        this.stateSchema = stateSchema;
        this.newVersionLogins = List.copyOf(newVersionLogins);
    }

    public Result plan(Migration migration, Catalog catalog, String previousVersionSchema) {
        return plan(migration, catalog, previousVersionSchema, dev.tandem.catalog.VersionNames.NONE, Map.of(),
                catalog.tables().keySet());
    }

    /**
     * Plans {@code migration} against {@code catalog}, which should be read after the migration's raw SQL ran (see
     * {@link RawSqlProbe}), so that what that SQL creates is known; {@code probes} label the raw SQL steps' locks;
     * {@code previousNames} are what the previous version's views call the tables and columns.
     */
    public Result plan(Migration migration, Catalog catalog, String previousVersionSchema,
                       dev.tandem.catalog.VersionNames previousNames,
                       Map<Operation.RawSql, RawSqlProbe.Result> probes, java.util.Set<String> tablesBeforeRawSql) {
        PlanContext ctx = new PlanContext(dialect, catalog.schema(), migration.name(), previousVersionSchema, catalog,
                previousNames);
        ctx.probes.putAll(probes);
        ctx.source = migration;
        ctx.newVersionLogins = newVersionLogins;
        ctx.tablesBeforeRawSql.addAll(tablesBeforeRawSql);
        List<MigrationException.Problem> problems = new ArrayList<>();
        java.util.Set<String> changed = new java.util.LinkedHashSet<>();
        for (Operation op : migration.operations()) {
            // By the name the table has before this operation renames it.
            if (!(op instanceof Operation.DropTable)) {
                ctx.changedTable(op).filter(t -> t.live != null).ifPresent(t -> changed.add(t.physical));
            }
            try {
                InheritedTables.check(op, ctx);
                PublishedTables.check(op, ctx);
                handle(op, Question.VALIDATE, ctx);
            } catch (MigrationException e) {
                problems.addAll(e.problems());
                // Later operations would only report consequences of this one.
                break;
            }
        }
        if (!problems.isEmpty()) throw new MigrationException(problems);
        for (TableModel t : ctx.tables.values()) {
            if (t.needsBackfill()) keyColumns(t, migration);
        }
        for (Question q : List.of(Question.EXPAND, Question.CONTRACT, Question.ROLLBACK)) {
            for (Operation op : migration.operations()) handle(op, q, ctx);
        }
        List<Plan.BackfillTask> backfill = tableSteps(ctx, migration);
        PublishedTables.notices(ctx);
        ctx.keepUniqueColumnsNullable();
        List<Step> expand = ctx.expandSteps();
        Plan plan = new Plan(migration.name(), ctx.schema, ctx.versionSchema, previousVersionSchema,
                expand, backfill, ctx.contractSteps(), ctx.rollbackSteps(), ctx.contractDrops, ctx.irreversibleSteps(expand), ctx.rowChecks,
                ctx.carried, ctx.notices, ctx.publishSteps(), newVersionLogins);
        boolean syncTriggers = ctx.tables.values().stream().anyMatch(t -> !t.created() && !t.droppedInNewVersion && t.needsSync());
        return new Result(plan, List.copyOf(ctx.checks), List.copyOf(ctx.indexChecks), List.copyOf(changed), syncTriggers);
    }

    private enum Question { VALIDATE, EXPAND, CONTRACT, ROLLBACK }

    private static void handle(Operation op, Question q, PlanContext ctx) {
        // Java 17 has no pattern switch; the sealed interface still makes this list the complete one.
        if (op instanceof Operation.CreateTable o) ask(new CreateTableHandler(), o, q, ctx);
        else if (op instanceof Operation.AddColumn o) ask(new AddColumnHandler(), o, q, ctx);
        else if (op instanceof Operation.DropColumn o) ask(new DropColumnHandler(), o, q, ctx);
        else if (op instanceof Operation.RenameColumn o) ask(new RenameColumnHandler(), o, q, ctx);
        else if (op instanceof Operation.AlterColumn o) ask(new AlterColumnHandler(), o, q, ctx);
        else if (op instanceof Operation.RenameTable o) ask(new RenameTableHandler(), o, q, ctx);
        else if (op instanceof Operation.DropTable o) ask(new DropTableHandler(), o, q, ctx);
        else if (op instanceof Operation.CreateIndex o) ask(new CreateIndexHandler(), o, q, ctx);
        else if (op instanceof Operation.DropIndex o) ask(new DropIndexHandler(), o, q, ctx);
        else if (op instanceof Operation.AddConstraint o) ask(new AddConstraintHandler(), o, q, ctx);
        else if (op instanceof Operation.DropConstraint o) ask(new DropConstraintHandler(), o, q, ctx);
        else if (op instanceof Operation.RawSql o) ask(new RawSqlHandler(), o, q, ctx);
        else throw new IllegalStateException("no handler for " + op.kind());
    }

    private static <O extends Operation> void ask(OperationHandler<O> handler, O op, Question q, PlanContext ctx) {
        try {
            switch (q) {
                case VALIDATE -> handler.validate(op, ctx);
                case EXPAND -> handler.expand(op, ctx);
                case CONTRACT -> handler.contract(op, ctx);
                case ROLLBACK -> handler.rollback(op, ctx);
            }
        } catch (UnsupportedOperationException e) {
            // A statement this database cannot run safely (Ddl says which and why): refused at the operation's line
            // at plan, before anything changes.
            throw new MigrationException(op.location(), e.getMessage());
        }
    }

    /**
     * What follows from the table as a whole rather than from one operation: the sync trigger, the backfill,
     * the version schema's views, and at contract the drops and renames that put the new shape in place.
     */
    private List<Plan.BackfillTask> tableSteps(PlanContext ctx, Migration migration) {
        Ddl ddl = ctx.ddl;
        List<Plan.BackfillTask> backfill = new ArrayList<>();
        ctx.expand(ExpandStage.VIEWS, ddl.createSchema(ctx.versionSchema));
        if (ctx.previousVersionSchema != null) {
            // The previous version has a view for every table it knew, under the name the table has now.
            // Tables this migration's raw SQL creates are in the catalog the plan is made from, but not in that schema.
            List<String> oldViews = ctx.tables.values().stream().filter(t -> !t.created())
                    .filter(t -> ctx.tablesBeforeRawSql.contains(t.physical)).map(t -> t.previousName).toList();
            ctx.contract(ContractStage.DROP_OLD_VERSION, ddl.dropSchema(ctx.previousVersionSchema, oldViews));
        }
        List<String> newViews = ctx.tables.values().stream().filter(t -> !t.droppedInNewVersion).map(t -> t.name).toList();
        ctx.rollback(RollbackStage.DROP_NEW_VERSION, ddl.dropSchema(ctx.versionSchema, newViews));
        ViewPrivileges privileges = new ViewPrivileges(ctx);
        boolean securityInvoker = privileges.securityInvoker(SourceLocation.unknown(migration.file()));
        for (TableModel t : ctx.tables.values()) {
            if (!t.droppedInNewVersion) {
                // Only where row-level security must hold: a security_invoker view checks the querying role's privilege
                // on every column it shows, so a role with privileges on some columns only could not use it at all.
                boolean invoker = securityInvoker && t.live != null && t.live.rowSecurity();
                ctx.expand(ExpandStage.VIEWS, ddl.createView(ctx.versionSchema, t.name, ctx.schema, t.physical, ctx.newRow(t),
                        invoker));
                privileges.carry(t, invoker, SourceLocation.unknown(migration.file()));
            }
            if (t.created() || t.droppedInNewVersion) continue;
            String done = t.needsBackfill() ? Names.DONE_COLUMN : null;
            if (t.needsSync()) {
                Ddl.SyncTrigger trigger = syncTrigger(ctx, t, done);
                if (done != null) {
                    ctx.willDrop("column", t.physical, done, null);
                    ctx.expand(ExpandStage.COLUMNS, ddl.addColumn(ctx.schema, t.physical, done, "boolean"));
                    ctx.contract(ContractStage.DROP, ddl.dropColumn(ctx.schema, t.physical, done, List.of()));
                    ctx.rollback(RollbackStage.DROP_COLUMNS, ddl.dropColumn(ctx.schema, t.physical, done, List.of()));
                }
                for (Step sync : ddl.createSyncTrigger(trigger)) {
                    ctx.expand(ExpandStage.SYNC, sync);
                    ctx.beforePublishing(sync);
                }
                for (Step drop : ddl.dropSyncTrigger(trigger)) ctx.contract(ContractStage.DROP_SYNC, drop);
                for (Step drop : ddl.dropSyncTrigger(trigger)) ctx.rollback(RollbackStage.DROP_SYNC, drop);
            }
            if (done != null) {
                List<Plan.Assignment> sets = t.columns.stream().filter(c -> c.backfill != null)
                        .map(c -> new Plan.Assignment(c.physical, overPhysicalColumns(t, c.backfill))).toList();
                List<String> key = t.live.primaryKey().isEmpty() ? uniqueKey(t).orElseThrow() : t.live.primaryKey();
                List<String> keyTypes = key.stream().map(k -> t.live.column(k).orElseThrow().type()).toList();
                backfill.add(new Plan.BackfillTask(t.physical, key, keyTypes, sets, done));
                triggersTheBackfillFires(ctx, t);
            }
            if (!ddl.transactionalDdl()) placeholderDefaults(ctx, t);
            for (ColumnModel c : t.columns) {
                if (c.shadowed()) {
                    ctx.willDrop("replaced", t.physical, c.oldPhysical, null, c.repointed);
                    ctx.contract(ContractStage.DROP, ddl.dropColumn(ctx.schema, t.physical, c.oldPhysical,
                            t.referencedTables(c.oldPhysical)));
                }
            }
            if (ddl.contractRenames()) {
                for (ColumnModel c : t.columns) {
                    if (!c.physical.equals(c.name)) {
                        ctx.contract(ContractStage.RENAME_COLUMNS, ddl.renameColumn(ctx.schema, t.physical, c.physical, c.name));
                    }
                }
                if (!t.physical.equals(t.name)) ctx.contract(ContractStage.RENAME_TABLES, ddl.renameTable(ctx.schema, t.physical, t.name));
                renameDefaultNames(ctx, t);
            }
        }
        privileges.grantUsage();
        return backfill;
    }

    /**
     * An expression over the previous version's row, as the backfill runs it on the table: names that version's views
     * alias become the physical columns (where contract renames, the names are the physical ones and nothing changes).
     */
    private String overPhysicalColumns(TableModel t, String expression) {
        Map<String, String> aliased = new java.util.HashMap<>();
        for (Catalog.Column c : t.live.columns()) {
            if (!t.previousName(c).equals(c.name())) aliased.put(t.previousName(c), dialect.quote(c.name()));
        }
        if (aliased.isEmpty()) return expression;
        return dev.tandem.migration.ColumnReferences.rename(expression, aliased, java.util.Set.of(), dialect.expressionSyntax()).text();
    }

    /**
     * Where contract is not one transaction: the previous version's NOT NULL columns without a default that contract
     * drops after the sync trigger get a constant default first, so the new version's inserts, which leave them out,
     * pass between the trigger's drop and theirs.
     */
    private static void placeholderDefaults(PlanContext ctx, TableModel t) {
        java.util.Set<String> dropped = new java.util.LinkedHashSet<>();
        for (ColumnModel c : t.columns) if (c.shadowed()) dropped.add(c.oldPhysical);
        for (TableModel.DroppedColumn d : t.droppedColumns) dropped.add(d.physical());
        for (String name : dropped) {
            Catalog.Column live = t.live.column(name).orElse(null);
            if (live == null || !live.notNull() || live.defaultExpr() != null || live.isIdentity()) continue;
            ctx.contract(ContractStage.DROP_OLD_VERSION, ctx.ddl.placeholderDefault(ctx.schema, t.physical, name, live.type()));
        }
    }

    /**
     * Constraints that carry PostgreSQL's generated names (users_pkey, users_name_key, …) are renamed with their
     * table and columns, so the contracted schema equals the same schema created from scratch. Indexes keep their
     * names: create_index always names them, so the name is the author's.
     */
    private static void renameDefaultNames(PlanContext ctx, TableModel t) {
        java.util.Map<String, String> newNames = new java.util.HashMap<>();
        for (ColumnModel c : t.columns) newNames.put(c.live == null ? c.physical : c.live.name(), c.name);
        java.util.function.Function<List<String>, List<String>> rename = cols -> cols.stream()
                .map(c -> newNames.getOrDefault(c, c)).toList();
        for (Catalog.Constraint k : t.live.constraints()) {
            String suffix = switch (k.type()) {
                case 'p' -> "pkey";
                case 'u' -> "key";
                case 'c' -> "check";
                case 'f' -> "fkey";
                default -> null;
            };
            if (suffix == null || k.columns().stream().anyMatch(c -> !newNames.containsKey(c))) continue;
            String was = defaultName(t.physical, k.type() == 'p' ? List.of() : k.columns(), suffix);
            String now = defaultName(t.name, k.type() == 'p' ? List.of() : rename.apply(k.columns()), suffix);
            if (k.name().equals(was) && !was.equals(now)) {
                ctx.contract(ContractStage.FINALIZE, ctx.ddl.renameConstraint(ctx.schema, t.name, was, now));
            }
        }
    }

    private static String defaultName(String table, List<String> columns, String suffix) {
        return Names.fit(table + (columns.isEmpty() ? "" : "_" + String.join("_", columns)) + "_" + suffix);
    }

    private Ddl.SyncTrigger syncTrigger(PlanContext ctx, TableModel t, String done) {
        List<Ddl.Binding> oldBindings = t.live.columns().stream()
                .map(c -> new Ddl.Binding(t.previousName(c), c.name())).toList();
        List<Ddl.Binding> newBindings = t.columns.stream().map(c -> new Ddl.Binding(c.name, c.physical)).toList();
        List<Ddl.Assignment> fills = new ArrayList<>();
        List<Ddl.Assignment> ups = new ArrayList<>();
        List<Ddl.Assignment> downs = new ArrayList<>();
        List<Ddl.Assignment> drawn = new ArrayList<>();
        List<Ddl.NewFormColumn> newForms = new ArrayList<>();
        for (ColumnModel c : t.columns) {
            if (c.up != null && (c.live == null || c.shadowed())) {
                newForms.add(new Ddl.NewFormColumn(c.physical, c.type, c.notNull, c.defaultExpr));
            }
            if (c.takesPreviousDefault) drawn.add(new Ddl.Assignment(c.physical, c.up, null));
            if (c.backfill != null) fills.add(new Ddl.Assignment(c.physical, c.backfill, null));
            if (c.up != null) ups.add(new Ddl.Assignment(c.physical, c.up, null));
            if (c.down != null && c.shadowed()) downs.add(new Ddl.Assignment(c.oldPhysical, c.down, c.physical));
        }
        List<Ddl.Assignment> insertOnly = t.droppedColumns.stream().filter(d -> d.down() != null)
                .map(d -> new Ddl.Assignment(d.physical(), d.down(), null)).toList();
        boolean split = !userBeforeRowTriggers(ctx, t).isEmpty();
        // A session's statement reaches the new version's view only if no schema earlier in its search path holds a
        // relation of the same name: the table itself, or the previous version's view. A renamed table's new name is
        // in the new version schema alone.
        List<String> shadowing = new ArrayList<>();
        if (!t.renamed()) {
            shadowing.add(ctx.schema);
            if (ctx.previousVersionSchema != null) shadowing.add(ctx.previousVersionSchema);
        }
        return new Ddl.SyncTrigger(ctx.schema, t.physical, stateSchema, Names.syncFunction(ctx.schema, t.physical, ctx.migration),
                split ? Names.syncTriggerLast(ctx.migration) : Names.syncTrigger(ctx.migration), ctx.versionSchema,
                shadowing, oldBindings, newBindings, fills, ups, downs, insertOnly, done,
                split ? Names.syncTriggerFirst(ctx.migration) : null, drawn, ctx.migration,
                Names.migrationOf(ctx.schema, ctx.previousVersionSchema), userBeforeRowTriggers(ctx, t),
                ctx.newVersionLogins, newForms);
    }

    /**
     * The user's BEFORE row triggers on writes Tandem syncs. Tandem's two triggers must fire around them, which
     * PostgreSQL decides by name: a name that would not sort between the two is refused, naming it.
     */
    private static List<Catalog.Trigger> userBeforeRowTriggers(PlanContext ctx, TableModel t) {
        List<Catalog.Trigger> user = t.live.triggers().stream()
                .filter(g -> g.beforeRow() && (g.onInsert() || g.onUpdate())).toList();
        byte[] first = Names.syncTriggerFirst(ctx.migration).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] last = Names.syncTriggerLast(ctx.migration).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (Catalog.Trigger g : user) {
            byte[] name = g.name().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (java.util.Arrays.compareUnsigned(name, first) <= 0 || java.util.Arrays.compareUnsigned(name, last) >= 0) {
                throw new MigrationException(dev.tandem.migration.SourceLocation.unknown(ctx.migration), "trigger \""
                        + g.name() + "\" on table \"" + t.name + "\" has a name Tandem's sync triggers cannot fire around"
                        + " (PostgreSQL fires triggers in the order of their names): rename it to start with a letter,"
                        + " a digit or an underscore");
            }
        }
        return user;
    }

    /**
     * Says which of the user's triggers fire for every row the backfill of {@code t} fills: the backfill's writes are
     * UPDATEs, and neither MariaDB (no session setting leaves a trigger unfired) nor PostgreSQL (which skips triggers
     * only where Tandem's is the table's one trigger, {@code Dialect#backfillMaySkipTriggers}) can keep a user's row
     * trigger from seeing them.
     */
    private static void triggersTheBackfillFires(PlanContext ctx, TableModel t) {
        List<String> firing = t.live.triggers().stream().filter(Catalog.Trigger::everyUpdatedRow)
                .map(g -> "\"" + g.name() + "\"").toList();
        if (firing.isEmpty()) return;
        ctx.notice("the backfill of " + new Catalog.Relation(ctx.schema, t.physical) + " fires "
                + (firing.size() == 1 ? "trigger " : "triggers ") + String.join(", ", firing) + " once for every row it"
                + " fills: a trigger that counts or stamps updates will count these too. The backfill changes only the"
                + " columns Tandem added; to leave its writes out, make the trigger act only when a column the"
                + " application writes changed (compare OLD and NEW of those columns)");
    }

    /** Without a primary key, a unique index over NOT NULL columns is as good a key for walking the table. */
    private static Optional<List<String>> uniqueKey(TableModel t) {
        return t.live.indexes().stream()
                .filter(i -> i.unique() && i.valid() && i.simple())
                .filter(i -> i.columns().stream().allMatch(c -> t.live.column(c).map(Catalog.Column::notNull).orElse(false)))
                .map(Catalog.Index::columns).findFirst();
    }

    private static void keyColumns(TableModel t, Migration m) {
        if (t.live.primaryKey().isEmpty() && uniqueKey(t).isEmpty()) {
            throw new MigrationException(m.operations().get(0).location(), "table \"" + t.physical + "\" needs a backfill"
                    + " but has no primary key and no unique index over NOT NULL columns to walk it by; add a primary key"
                    + " (or such a unique index) in an earlier migration");
        }
    }
}
