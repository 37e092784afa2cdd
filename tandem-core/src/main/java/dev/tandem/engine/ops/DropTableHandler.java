package dev.tandem.engine.ops;

import dev.tandem.engine.OperationHandler;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.PlanContext.ContractStage;
import dev.tandem.engine.TableModel;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation.DropTable;

/** A table the new version no longer has: it disappears from the new version's views now, from the database at contract. */
public final class DropTableHandler implements OperationHandler<DropTable> {

    @Override
    public void validate(DropTable op, PlanContext ctx) {
        TableModel table = ctx.table(op.table(), op.location());
        if (table.created()) {
            throw new MigrationException(op.location(), "table \"" + op.table() + "\" is created by this migration; drop the create_table instead");
        }
        for (var other : ctx.catalog.tables().values()) {
            if (other.name().equals(table.physical)) continue;
            for (var c : other.constraints()) {
                if (c.type() == 'f' && c.definition().matches("(?s).*REFERENCES\\s+(\\S+\\.)?\"?"
                        + java.util.regex.Pattern.quote(table.physical) + "\"?\\s*\\(.*")) {
                    throw new MigrationException(op.location(), "table \"" + op.table() + "\" is referenced by foreign key \""
                            + c.name() + "\" of table \"" + other.name() + "\"; drop that constraint first");
                }
            }
        }
        table.droppedInNewVersion = true;
        ctx.remember(op, table);
    }

    @Override
    public void expand(DropTable op, PlanContext ctx) {
    }

    @Override
    public void contract(DropTable op, PlanContext ctx) {
        TableModel table = ctx.recall(op);
        ctx.willDrop("table", table.physical, null, op.location());
        ctx.contract(ContractStage.DROP, ctx.ddl.dropTable(ctx.schema, table.physical,
                table.referencedTables(null)));
    }

    @Override
    public void rollback(DropTable op, PlanContext ctx) {
    }
}
