package dev.tandem.engine.ops;

import dev.tandem.catalog.Catalog;
import dev.tandem.engine.OperationHandler;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.PlanContext.ContractStage;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation.DropIndex;

/** An index the new version does not need: the old one may still rely on it, so it goes at contract, concurrently. */
public final class DropIndexHandler implements OperationHandler<DropIndex> {

    @Override
    public void validate(DropIndex op, PlanContext ctx) {
        String table = ctx.catalog.indexToTable().get(op.name());
        if (table == null) {
            throw new MigrationException(op.location(), "index \"" + op.name() + "\" does not exist in schema \"" + ctx.schema + "\"");
        }
        Catalog.Index index = ctx.catalog.tables().get(table).indexes().stream()
                .filter(i -> i.name().equals(op.name())).findFirst().orElseThrow();
        if (index.constraint() != null) {
            throw new MigrationException(op.location(), "index \"" + op.name() + "\" belongs to constraint \""
                    + index.constraint() + "\"; use drop_constraint");
        }
        ctx.indexes.remove(op.name());
    }

    @Override
    public void expand(DropIndex op, PlanContext ctx) {
    }

    @Override
    public void contract(DropIndex op, PlanContext ctx) {
        ctx.willDrop("index", ctx.catalog.indexToTable().get(op.name()), op.name(), op.location());
        // Cleanup runs after contract renamed the table: it goes by its new name by then.
        String table = ctx.tables.get(ctx.catalog.indexToTable().get(op.name())).name;
        ctx.contract(ContractStage.CLEANUP, ctx.ddl.dropIndex(ctx.schema, table, op.name()));
    }

    @Override
    public void rollback(DropIndex op, PlanContext ctx) {
    }
}
