package dev.tandem.engine.ops;

import dev.tandem.engine.OperationHandler;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.PlanContext.ExpandStage;
import dev.tandem.engine.PlanContext.RollbackStage;
import dev.tandem.engine.TableModel;
import dev.tandem.migration.ColumnDef;
import dev.tandem.migration.ForeignKey;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation.CreateTable;

import java.util.List;
import java.util.Set;

/** A new table: no version has rows in it yet, so it is created as it is and only the new version sees it. */
public final class CreateTableHandler implements OperationHandler<CreateTable> {
    private static final Set<String> IDENTITY_TYPES = Set.of("smallint", "integer", "bigint", "int", "int2", "int4", "int8");

    @Override
    public void validate(CreateTable op, PlanContext ctx) {
        if (ctx.findTable(op.table()).isPresent() || ctx.tables.containsKey(op.table())) {
            throw new MigrationException(op.location(), "table \"" + op.table() + "\" already exists in schema \"" + ctx.schema + "\"");
        }
        TableModel table = ctx.newTable(op.table());
        for (ColumnDef c : op.columns()) {
            if (c.identity() && !IDENTITY_TYPES.contains(c.type().trim().toLowerCase(java.util.Locale.ROOT))) {
                throw new MigrationException(c.location(), "column \"" + c.name() + "\": generated: identity needs type"
                        + " smallint, integer or bigint, not " + c.type());
            }
            if (c.references() != null) Columns.referencedColumn(ctx, c.references(), c.location());
            table.columns.add(Columns.added(c));
        }
        ctx.addTable(table);
        ctx.remember(op, table);
    }

    @Override
    public void expand(CreateTable op, PlanContext ctx) {
        TableModel table = ctx.recall(op);
        List<ColumnDef> physical = op.columns().stream().map(c -> c.references() == null ? c : withPhysicalReference(ctx, c)).toList();
        for (ColumnDef c : op.columns()) {
            Columns.checkColumn(ctx, table, c);
        }
        ctx.expand(ExpandStage.TABLES, ctx.ddl.createTable(ctx.schema, table.physical, physical));
    }

    /** A reference to a table renamed earlier in the same migration must name it as it is called until contract. */
    private static ColumnDef withPhysicalReference(PlanContext ctx, ColumnDef c) {
        var target = Columns.referencedColumn(ctx, c.references(), c.location());
        ForeignKey fk = new ForeignKey(target.table().physical, target.column().physical, c.references().onDelete());
        return new ColumnDef(c.name(), c.type(), c.nullable(), c.defaultExpr(), c.primaryKey(), c.unique(),
                c.generated(), c.check(), fk, c.location());
    }

    @Override
    public void contract(CreateTable op, PlanContext ctx) {
        // Nothing: the table already has its final shape.
    }

    @Override
    public void rollback(CreateTable op, PlanContext ctx) {
        TableModel table = ctx.recall(op);
        List<String> referenced = op.columns().stream().filter(c -> c.references() != null)
                .map(c -> withPhysicalReference(ctx, c).references().table()).distinct().toList();
        ctx.rollback(RollbackStage.DROP_TABLES, ctx.ddl.dropTable(ctx.schema, table.physical, referenced));
    }
}
