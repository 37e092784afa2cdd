package dev.tandem.engine.ops;

import dev.tandem.engine.PlanContext;
import dev.tandem.engine.TableModel;
import dev.tandem.engine.TableModel.ColumnModel;
import dev.tandem.migration.ColumnDef;
import dev.tandem.migration.ForeignKey;
import dev.tandem.migration.SourceLocation;

/** What several operations need to say about columns. */
final class Columns {
    private Columns() {
    }

    record Target(TableModel table, ColumnModel column) {
    }

    static ColumnModel added(ColumnDef c) {
        return TableModel.ColumnModel.added(c.name(), c.type(), !c.nullable() || c.primaryKey(), c.defaultExpr());
    }

    static Target referencedColumn(PlanContext ctx, ForeignKey fk, SourceLocation at) {
        TableModel table = ctx.table(fk.table(), at);
        return new Target(table, ctx.column(table, fk.column(), at));
    }

    /** Queues the database checks of a column definition: its type, default and check expressions. */
    static void checkColumn(PlanContext ctx, TableModel table, ColumnDef c) {
        String what = "column \"" + c.name() + "\"";
        ctx.check(c.location(), what + " type", "NULL", java.util.List.of(), java.util.Map.of(), c.type());
        if (c.defaultExpr() != null) {
            ctx.check(c.location(), what + " default", c.defaultExpr(), java.util.List.of(), java.util.Map.of(), c.type());
        }
        if (c.check() != null) {
            ctx.check(c.location(), what + " check", c.check(), ctx.newRow(table), ctx.newRowTypes(table), "boolean");
        }
    }
}
