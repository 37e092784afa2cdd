package dev.tandem.engine.ops;

import dev.tandem.engine.InheritedTables;
import dev.tandem.engine.LockMode;
import dev.tandem.engine.Names;
import dev.tandem.engine.OperationHandler;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.PlanContext.ContractStage;
import dev.tandem.engine.PlanContext.ExpandStage;
import dev.tandem.engine.PlanContext.RollbackStage;
import dev.tandem.engine.TableModel;
import dev.tandem.engine.TableModel.ColumnModel;
import dev.tandem.migration.ColumnDef;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation.AddColumn;

import java.util.List;

/**
 * A new column. It is added nullable and without a default (catalog only, never a rewrite); the old version never
 * sees it, and its writes fill it with {@code up}. NOT NULL, UNIQUE, CHECK and REFERENCES are added so that only
 * new writes are checked at once (NOT VALID, concurrent index) and existing rows at contract.
 */
public final class AddColumnHandler implements OperationHandler<AddColumn> {

    record Added(TableModel table, ColumnModel column) {
    }

    @Override
    public void validate(AddColumn op, PlanContext ctx) {
        ColumnDef def = op.column();
        TableModel table = ctx.table(op.table(), op.location());
        if (table.created()) {
            throw new MigrationException(op.location(), "table \"" + op.table()
                    + "\" is created by this migration: declare column \"" + def.name() + "\" in its create_table");
        }
        if (table.column(def.name()).isPresent()) {
            throw new MigrationException(op.location(), "column \"" + def.name() + "\" already exists in table \"" + op.table() + "\"");
        }
        if (table.live.column(def.name()).isPresent()) {
            throw new MigrationException(op.location(), "table \"" + op.table() + "\" still has a column \"" + def.name()
                    + "\" for the previous version until contract; add the new one in a later migration or under another name");
        }
        if (def.requiresValue() && op.up() == null) {
            throw new MigrationException(op.location(), "column \"" + def.name() + "\" is NOT NULL without a default:"
                    + " give `up`, an expression over the previous version's row, to fill it for existing rows and for"
                    + " rows the previous version writes");
        }
        ColumnModel column = Columns.added(def);
        column.up = op.up();
        column.backfill = op.up() != null ? op.up() : def.defaultExpr();
        table.columns.add(column);
        InheritedTables.carryAddedColumn(table, column, ctx);
        ctx.remember(op, new Added(table, column));
    }

    @Override
    public void expand(AddColumn op, PlanContext ctx) {
        Added a = ctx.recall(op);
        ColumnDef def = op.column();
        String table = a.table().physical;
        Columns.checkColumn(ctx, a.table(), def);
        if (op.up() != null) {
            ctx.checkOverRows(ctx.at(op, "up"), "up", op.up(), a.table(), def.type());
        }
        ctx.expand(ExpandStage.COLUMNS, ctx.addNewColumn(table, def.name(), def.type(), a.column().notNull, null, null)
                .alsoLocks(InheritedTables.descendantLocks(a.table(), LockMode.ACCESS_EXCLUSIVE)));
        if (def.defaultExpr() != null) {
            ctx.expand(ExpandStage.COLUMNS, ctx.ddl.setDefault(ctx.schema, table, def.name(), def.defaultExpr()));
        }
        if (a.column().notNull) ctx.notNullAtExpand(a.table(), a.column(), Names.notNullCheck(def.name(), ctx.migration));
        if (def.check() != null) {
            ctx.expand(ExpandStage.CONSTRAINTS, ctx.ddl.addCheckNotValid(ctx.schema, table, checkName(a), def.check()));
        }
        if (def.references() != null) {
            var target = Columns.referencedColumn(ctx, def.references(), def.location());
            ctx.expand(ExpandStage.CONSTRAINTS, ctx.ddl.addForeignKeyNotValid(ctx.schema, table, foreignKeyName(a),
                    List.of(def.name()), target.table().physical, List.of(target.column().physical), def.references().onDelete()));
        }
        if (def.unique()) {
            ctx.uniqueIndexOver(table, List.of(def.name()));
            ctx.expand(ExpandStage.INDEXES, ctx.ddl.createIndex(ctx.schema, table, uniqueName(a), List.of(def.name()), true, "btree"));
        }
    }

    private static String checkName(Added a) {
        return Names.constraint(a.table().name, a.column().name, "check");
    }

    private static String foreignKeyName(Added a) {
        return Names.constraint(a.table().name, a.column().name, "fkey");
    }

    private static String uniqueName(Added a) {
        return Names.constraint(a.table().name, a.column().name, "key");
    }

    @Override
    public void contract(AddColumn op, PlanContext ctx) {
        Added a = ctx.recall(op);
        ColumnDef def = op.column();
        String physical = a.table().physical;
        String nn = Names.notNullCheck(def.name(), ctx.migration);
        if (a.column().notNull) ctx.notNullAtContract(a.table(), a.column(), nn);
        if (def.check() != null) {
            ctx.contract(ContractStage.VALIDATE, ctx.ddl.validateConstraint(ctx.schema, physical, checkName(a)));
        }
        if (def.references() != null) {
            ctx.contract(ContractStage.VALIDATE, ctx.ddl.validateForeignKey(ctx.schema, physical, foreignKeyName(a),
                    referenced(op, ctx)));
        }
        if (def.unique()) {
            ctx.contract(ContractStage.FINALIZE, ctx.ddl.addUniqueUsingIndex(ctx.schema, a.table().name, uniqueName(a), uniqueName(a)));
        }
    }

    @Override
    public void rollback(AddColumn op, PlanContext ctx) {
        Added a = ctx.recall(op);
        // Dropping the column drops its constraints and index with it.
        List<String> referenced = op.column().references() == null ? List.of() : List.of(referenced(op, ctx));
        ctx.rollback(RollbackStage.DROP_COLUMNS, ctx.ddl.dropColumn(ctx.schema, a.table().physical, op.column().name(), referenced)
                .alsoLocks(InheritedTables.descendantLocks(a.table(), LockMode.ACCESS_EXCLUSIVE)));
    }

    /** The physical table the new column's foreign key references. */
    private static String referenced(AddColumn op, PlanContext ctx) {
        return Columns.referencedColumn(ctx, op.column().references(), op.column().location()).table().physical;
    }
}
