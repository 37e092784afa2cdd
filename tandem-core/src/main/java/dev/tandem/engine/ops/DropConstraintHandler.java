package dev.tandem.engine.ops;

import dev.tandem.engine.OperationHandler;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.PlanContext.ContractStage;
import dev.tandem.engine.TableModel;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation.DropConstraint;

/** A constraint the new version does without. The old version may rely on it, so it stays until contract. */
public final class DropConstraintHandler implements OperationHandler<DropConstraint> {

    @Override
    public void validate(DropConstraint op, PlanContext ctx) {
        TableModel table = ctx.table(op.table(), op.location());
        var constraint = table.live == null ? null : table.live.constraints().stream()
                .filter(c -> c.name().equals(op.name())).findFirst().orElse(null);
        if (constraint == null) {
            throw new MigrationException(op.location(), "constraint \"" + op.name() + "\" does not exist on table \"" + op.table() + "\"");
        }
        if (constraint.type() == 'p') {
            throw new MigrationException(op.location(), "\"" + op.name() + "\" is the primary key; dropping it is not supported");
        }
        ctx.indexes.remove(op.name());
        ctx.remember(op, table);
    }

    @Override
    public void expand(DropConstraint op, PlanContext ctx) {
    }

    @Override
    public void contract(DropConstraint op, PlanContext ctx) {
        TableModel table = ctx.recall(op);
        ctx.willDrop("constraint", table.physical, op.name(), op.location());
        var constraint = table.live.constraints().stream().filter(c -> c.name().equals(op.name())).findFirst().orElseThrow();
        ctx.contract(ContractStage.DROP, constraint.type() == 'f'
                ? ctx.ddl.dropForeignKey(ctx.schema, table.physical, op.name(), constraint.referencedTable())
                : ctx.ddl.dropConstraint(ctx.schema, table.physical, op.name()));
    }

    @Override
    public void rollback(DropConstraint op, PlanContext ctx) {
    }
}
