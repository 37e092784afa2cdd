package dev.tandem.engine.ops;

import dev.tandem.engine.OperationHandler;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.PlanContext.ContractStage;
import dev.tandem.engine.TableModel;
import dev.tandem.engine.TableModel.ColumnModel;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation.DropColumn;

/**
 * A column the new version no longer has. It stays in the table (the old version still reads it) until contract;
 * rows the new version inserts get it from {@code down}.
 */
public final class DropColumnHandler implements OperationHandler<DropColumn> {

    @Override
    public void validate(DropColumn op, PlanContext ctx) {
        TableModel table = ctx.table(op.table(), op.location());
        ColumnModel column = ctx.column(table, op.column(), op.location());
        if (table.created() || column.live == null || column.shadowed()) {
            throw new MigrationException(op.location(), "column \"" + op.column() + "\" is added or changed earlier in"
                    + " this migration; dropping it in the same migration is not supported");
        }
        if (table.live.primaryKey().contains(column.physical)) {
            throw new MigrationException(op.location(), "column \"" + op.column() + "\" is part of the primary key of \""
                    + op.table() + "\" and cannot be dropped");
        }
        boolean needsValue = column.live.notNull() && column.live.defaultExpr() == null && !column.live.isIdentity();
        if (needsValue && op.down() == null) {
            throw new MigrationException(op.location(), "column \"" + op.column() + "\" is NOT NULL without a default,"
                    + " so the previous version needs a value in rows the new version inserts: give `down`, an"
                    + " expression over the new version's row");
        }
        goesWithTheColumn(op, ctx, table, column.physical);
        table.columns.remove(column);
        table.droppedColumns.add(new TableModel.DroppedColumn(column.physical, op.down()));
        ctx.remember(op, new Columns.Target(table, column));
    }

    /**
     * PostgreSQL drops a column's indexes and constraints with it, also those over other columns too (ALTER TABLE, DROP
     * COLUMN, in the PostgreSQL manual): a unique index over (a, b) dropped with b stops keeping a unique, silently.
     * Those over other columns too are refused unless this migration drops them itself; those over the column alone are
     * listed by plan, as going with it.
     */
    private static void goesWithTheColumn(DropColumn op, PlanContext ctx, TableModel table, String physical) {
        java.util.Set<String> droppedByMigration = new java.util.HashSet<>();
        for (var other : ctx.source.operations()) {
            if (other instanceof dev.tandem.migration.Operation.DropIndex d) droppedByMigration.add(d.name());
            if (other instanceof dev.tandem.migration.Operation.DropConstraint d && d.table().equals(op.table())) {
                droppedByMigration.add(d.name());
            }
        }
        String where = "column \"" + op.column() + "\" of \"" + op.table() + "\"";
        for (dev.tandem.catalog.Catalog.Constraint k : table.live.constraints()) {
            if (!k.columns().contains(physical) || k.type() == 'p' || droppedByMigration.contains(k.name())) continue;
            if (k.columns().size() > 1) {
                throw new MigrationException(op.location(), where + " is in constraint \"" + k.name() + "\" together with"
                        + " other columns (" + String.join(", ", k.columns()) + "); contract's DROP COLUMN would drop the"
                        + " whole constraint with it. Drop it with drop_constraint in this migration (or an earlier one), and"
                        + " add what the other columns still need with add_constraint");
            }
            ctx.notice("constraint \"" + k.name() + "\" on " + op.table() + " goes with column " + op.column() + " at contract");
        }
        for (dev.tandem.catalog.Catalog.Index i : table.live.indexes()) {
            if (i.constraint() != null || droppedByMigration.contains(i.name())) continue; // a constraint's: above
            boolean mentions = i.columns().contains(physical) || (i.shape() != null && (
                    (i.shape().predicate() != null && dev.tandem.migration.ColumnReferences.mentions(i.shape().predicate(), physical))
                    || i.shape().keys().stream().anyMatch(k -> k.expression() != null
                            && dev.tandem.migration.ColumnReferences.mentions(k.expression(), physical))));
            if (!mentions) continue;
            boolean alone = i.columns().equals(java.util.List.of(physical)) && (i.shape() == null || i.shape().predicate() == null);
            if (!alone) {
                throw new MigrationException(op.location(), where + " is in index \"" + i.name() + "\", which covers more"
                        + " than this column (" + i.definition().replaceAll(".* USING ", "USING ") + "); contract's DROP"
                        + " COLUMN would drop the whole index with it. Drop it with drop_index in this migration (or an"
                        + " earlier one), and create what the other columns still need with create_index");
            }
            ctx.notice("index \"" + i.name() + "\" on " + op.table() + " goes with column " + op.column() + " at contract");
        }
    }

    @Override
    public void expand(DropColumn op, PlanContext ctx) {
        Columns.Target t = ctx.recall(op);
        if (op.down() != null) {
            ctx.check(ctx.at(op, "down"), "down", op.down(), ctx.newRow(t.table()), ctx.newRowTypes(t.table()), t.column().live.type());
        }
    }

    @Override
    public void contract(DropColumn op, PlanContext ctx) {
        Columns.Target t = ctx.recall(op);
        ctx.willDrop("column", t.table().physical, t.column().physical, op.location());
        ctx.contract(ContractStage.DROP, ctx.ddl.dropColumn(ctx.schema, t.table().physical, t.column().physical,
                t.table().referencedTables(t.column().physical)));
    }

    @Override
    public void rollback(DropColumn op, PlanContext ctx) {
        // Nothing was changed in the table.
    }
}
