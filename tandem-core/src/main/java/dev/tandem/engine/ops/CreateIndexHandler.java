package dev.tandem.engine.ops;

import dev.tandem.engine.OperationHandler;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.PlanContext.ExpandStage;
import dev.tandem.engine.PlanContext.RollbackStage;
import dev.tandem.engine.TableModel;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation.CreateIndex;

import java.util.List;

/** An index, built with CREATE INDEX CONCURRENTLY at expand so writes never wait for it. */
public final class CreateIndexHandler implements OperationHandler<CreateIndex> {

    record Planned(TableModel table, List<String> physicalColumns) {
    }

    @Override
    public void validate(CreateIndex op, PlanContext ctx) {
        TableModel table = ctx.table(op.table(), op.location());
        if (ctx.indexes.containsKey(op.name())) {
            throw new MigrationException(op.location(), "an index or constraint named \"" + op.name() + "\" already exists");
        }
        List<String> physical = op.columns().stream().map(c -> ctx.column(table, c, op.location()).physical).toList();
        ctx.indexes.put(op.name(), table.physical);
        ctx.remember(op, new Planned(table, physical));
    }

    @Override
    public void expand(CreateIndex op, PlanContext ctx) {
        Planned p = ctx.recall(op);
        if (op.unique()) ctx.uniqueIndexOver(p.table().physical, p.physicalColumns());
        ctx.expand(ExpandStage.INDEXES, ctx.ddl.createIndex(ctx.schema, p.table().physical, op.name(), p.physicalColumns(),
                op.unique(), op.method()));
    }

    @Override
    public void contract(CreateIndex op, PlanContext ctx) {
    }

    @Override
    public void rollback(CreateIndex op, PlanContext ctx) {
        Planned p = ctx.recall(op);
        ctx.rollback(RollbackStage.DROP_INDEXES, ctx.ddl.dropIndex(ctx.schema, p.table().physical, op.name()));
    }
}
