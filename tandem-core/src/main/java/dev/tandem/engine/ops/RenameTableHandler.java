package dev.tandem.engine.ops;

import dev.tandem.engine.OperationHandler;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.TableModel;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation.RenameTable;

/** A new name for a table: the new version's view has the new name; contract renames the table itself. */
public final class RenameTableHandler implements OperationHandler<RenameTable> {

    @Override
    public void validate(RenameTable op, PlanContext ctx) {
        TableModel table = ctx.table(op.from(), op.location());
        if (ctx.findTable(op.to()).isPresent() || (ctx.tables.containsKey(op.to()) && !op.to().equals(table.physical))) {
            throw new MigrationException(op.location(), "table \"" + op.to() + "\" already exists in schema \"" + ctx.schema + "\"");
        }
        if (table.created()) {
            throw new MigrationException(op.location(), "table \"" + op.from()
                    + "\" is created by this migration: create it as \"" + op.to() + "\"");
        }
        table.name = op.to();
    }

    @Override
    public void expand(RenameTable op, PlanContext ctx) {
    }

    @Override
    public void contract(RenameTable op, PlanContext ctx) {
    }

    @Override
    public void rollback(RenameTable op, PlanContext ctx) {
    }
}
