package dev.tandem.engine.ops;

import dev.tandem.engine.OperationHandler;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.PlanContext.ContractStage;
import dev.tandem.engine.PlanContext.ExpandStage;
import dev.tandem.engine.PlanContext.RollbackStage;
import dev.tandem.engine.TableModel;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation.AddConstraint;

import java.util.List;

/**
 * A table constraint. CHECK and FOREIGN KEY are added NOT VALID (new writes are checked at once, existing rows
 * by VALIDATE at contract, which blocks no writes); UNIQUE is an index built concurrently at expand and turned
 * into the constraint at contract. Writes of both versions must satisfy it from expand on.
 */
public final class AddConstraintHandler implements OperationHandler<AddConstraint> {

    record Planned(TableModel table, List<String> columns, Columns.Target[] references) {
    }

    @Override
    public void validate(AddConstraint op, PlanContext ctx) {
        TableModel table = ctx.table(op.table(), op.location());
        boolean exists = table.live != null && table.live.constraints().stream().anyMatch(c -> c.name().equals(op.name()));
        if (exists || ctx.indexes.containsKey(op.name())) {
            throw new MigrationException(op.location(), "a constraint or index named \"" + op.name() + "\" already exists");
        }
        if (op.check() != null && table.columns.stream().anyMatch(c -> !c.name.equals(c.physical))) {
            throw new MigrationException(op.location(), "table \"" + op.table() + "\" has columns renamed or altered in this"
                    + " migration; add the check in a later migration, or as `check:` of the alter_column");
        }
        List<String> columns = List.of();
        Columns.Target[] refs = new Columns.Target[0];
        if (op.unique() != null) {
            columns = op.unique().stream().map(c -> ctx.column(table, c, op.location()).physical).toList();
        } else if (op.foreignKey() != null) {
            var fk = op.foreignKey();
            columns = fk.columns().stream().map(c -> ctx.column(table, c, op.location()).physical).toList();
            TableModel target = ctx.table(fk.referencesTable(), op.location());
            refs = fk.referencesColumns().stream()
                    .map(c -> new Columns.Target(target, ctx.column(target, c, op.location()))).toArray(Columns.Target[]::new);
        }
        ctx.indexes.put(op.name(), table.physical);
        ctx.remember(op, new Planned(table, columns, refs));
    }

    @Override
    public void expand(AddConstraint op, PlanContext ctx) {
        Planned p = ctx.recall(op);
        String table = p.table().physical;
        if (op.check() != null) {
            ctx.check(ctx.at(op, "check"), "check", op.check(), ctx.newRow(p.table()), ctx.newRowTypes(p.table()), "boolean");
            ctx.expand(ExpandStage.CONSTRAINTS, ctx.ddl.addCheckNotValid(ctx.schema, table, op.name(), op.check()));
        } else if (op.unique() != null) {
            ctx.uniqueIndexOver(table, p.columns());
            ctx.expand(ExpandStage.INDEXES, ctx.ddl.createIndex(ctx.schema, table, op.name(), p.columns(), true, "btree"));
        } else {
            List<String> refColumns = java.util.Arrays.stream(p.references()).map(r -> r.column().physical).toList();
            ctx.expand(ExpandStage.CONSTRAINTS, ctx.ddl.addForeignKeyNotValid(ctx.schema, table, op.name(), p.columns(),
                    p.references()[0].table().physical, refColumns, op.foreignKey().onDelete()));
        }
    }

    @Override
    public void contract(AddConstraint op, PlanContext ctx) {
        Planned p = ctx.recall(op);
        if (op.unique() != null) {
            ctx.contract(ContractStage.FINALIZE, ctx.ddl.addUniqueUsingIndex(ctx.schema, p.table().name, op.name(), op.name()));
        } else if (op.foreignKey() != null) {
            ctx.contract(ContractStage.VALIDATE, ctx.ddl.validateForeignKey(ctx.schema, p.table().physical, op.name(),
                    p.references()[0].table().physical));
        } else {
            ctx.contract(ContractStage.VALIDATE, ctx.ddl.validateConstraint(ctx.schema, p.table().physical, op.name()));
        }
    }

    @Override
    public void rollback(AddConstraint op, PlanContext ctx) {
        Planned p = ctx.recall(op);
        if (op.unique() != null) {
            ctx.rollback(RollbackStage.DROP_INDEXES, ctx.ddl.dropIndex(ctx.schema, p.table().physical, op.name()));
        } else if (op.foreignKey() != null) {
            ctx.rollback(RollbackStage.DROP_CONSTRAINTS, ctx.ddl.dropForeignKey(ctx.schema, p.table().physical, op.name(),
                    p.references()[0].table().physical));
        } else {
            ctx.rollback(RollbackStage.DROP_CONSTRAINTS, ctx.ddl.dropConstraint(ctx.schema, p.table().physical, op.name()));
        }
    }
}
