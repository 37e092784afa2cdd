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
        table.columns.remove(column);
        table.droppedColumns.add(new TableModel.DroppedColumn(column.physical, op.down()));
        ctx.remember(op, new Columns.Target(table, column));
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
