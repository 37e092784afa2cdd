package dev.tandem.engine.ops;

import dev.tandem.engine.OperationHandler;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.TableModel;
import dev.tandem.engine.TableModel.ColumnModel;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation.RenameColumn;

/**
 * A new name for a column. Nothing changes in the table until contract: the new version's view shows the column
 * under its new name, and contract renames the column itself (the planner does that for every renamed column).
 */
public final class RenameColumnHandler implements OperationHandler<RenameColumn> {

    @Override
    public void validate(RenameColumn op, PlanContext ctx) {
        TableModel table = ctx.table(op.table(), op.location());
        ColumnModel column = ctx.column(table, op.from(), op.location());
        if (table.column(op.to()).isPresent()) {
            throw new MigrationException(op.location(), "column \"" + op.to() + "\" already exists in table \"" + op.table() + "\"");
        }
        if (table.live != null && table.live.column(op.to()).isPresent() && !op.to().equals(column.physical)) {
            throw new MigrationException(op.location(), "table \"" + op.table() + "\" still has a column \"" + op.to()
                    + "\" for the previous version until contract; rename to it in a later migration");
        }
        if (table.created()) {
            throw new MigrationException(op.location(), "table \"" + op.table()
                    + "\" is created by this migration: name the column \"" + op.to() + "\" in its create_table");
        }
        column.name = op.to();
    }

    @Override
    public void expand(RenameColumn op, PlanContext ctx) {
    }

    @Override
    public void contract(RenameColumn op, PlanContext ctx) {
    }

    @Override
    public void rollback(RenameColumn op, PlanContext ctx) {
    }
}
