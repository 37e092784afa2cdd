package dev.tandem.engine;

import dev.tandem.catalog.Catalog;
import dev.tandem.migration.ColumnDef;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Tables in an inheritance hierarchy ({@code INHERITS}, not declarative partitioning). Tandem's sync trigger and
 * backfill work on one table's own rows, and that does not hold there: a row trigger on the parent does not fire for
 * rows stored in a child (not even for writes through the parent), while the parent's columns, defaults and checks
 * reach every child. So only operations that need neither a trigger nor a backfill are allowed on such a table, and
 * what they do to the children is carried; every other one is refused at plan, naming the hierarchy.
 */
public final class InheritedTables {
    private InheritedTables() {
    }

    /** Refuses {@code op} if it changes a table of an inheritance hierarchy in a way Tandem cannot carry. */
    public static void check(Operation op, PlanContext ctx) {
        Optional<TableModel> table = ctx.changedTable(op);
        if (table.isEmpty() || table.get().live == null || !table.get().live.inheritance().any()) return;
        String why = unsupported(op);
        if (why == null) {
            if (op instanceof Operation.AddColumn add) refuseClash(add, table.get(), ctx);
            return;
        }
        TableModel t = table.get();
        throw new MigrationException(op.location(), op.kind() + " on table \"" + t.name + "\" is not supported: "
                + describe(t.live.inheritance()) + ", and " + why + ". Tandem keeps both versions in step with a"
                + " trigger and a backfill that reach only the rows stored in the table itself: a trigger on a parent"
                + " does not fire for rows stored in its children, while a parent's columns, defaults and constraints"
                + " change the children too. On such a table Tandem runs create_index (not unique), drop_index and"
                + " add_column of a nullable column without up, default, check, unique or references. Make this change"
                + " with `sql` operations (the previous version then sees it at once), or convert the hierarchy to"
                + " declarative partitioning (PARTITION BY), which Tandem migrates through its parent.");
    }

    /** Why {@code op} cannot be carried in a hierarchy, or null when it can. */
    private static String unsupported(Operation op) {
        if (op instanceof Operation.CreateIndex o) {
            return o.unique() ? "a unique index on one table of it does not make the hierarchy's rows unique" : null;
        }
        if (op instanceof Operation.AddColumn o) {
            ColumnDef c = o.column();
            if (o.up() != null || c.defaultExpr() != null || c.identity()) {
                return "filling the new column needs a sync trigger and a backfill";
            }
            if (!c.nullable() || c.primaryKey() || c.check() != null) {
                return "its constraint would be checked on the children's rows too, which the plan cannot show";
            }
            if (c.unique() || c.references() != null) {
                return "a unique index or foreign key on one table of it does not cover the rows of the others";
            }
            return null;
        }
        return switch (op.kind()) {
            case "alter_column" -> "the changed column's new form needs a sync trigger and a backfill";
            case "drop_column", "rename_column" -> "the column is shared with the other tables of the hierarchy";
            case "rename_table", "drop_table" -> "the other tables of the hierarchy depend on it";
            default -> "its check constraints are inherited by the children, while its unique and foreign key"
                    + " constraints cover its own rows only";
        };
    }

    private static String describe(Catalog.Inheritance h) {
        List<String> parts = new ArrayList<>();
        if (!h.parents().isEmpty()) parts.add("it inherits from " + names(h.parents()));
        if (!h.descendants().isEmpty()) parts.add("it has inheritance children " + names(h.descendants()));
        return String.join(" and ", parts);
    }

    private static String names(List<Catalog.Relation> relations) {
        return String.join(", ", relations.stream().map(Catalog.Relation::toString).toList());
    }

    /** A child that already has a column of that name would merge it or conflict: refused, naming it. */
    private static void refuseClash(Operation.AddColumn op, TableModel table, PlanContext ctx) {
        for (TableModel child : descendants(table, ctx)) {
            if (child.live.column(op.column().name()).isPresent()) {
                throw new MigrationException(op.location(), "table \"" + child.name + "\", an inheritance child of \""
                        + table.name + "\", already has a column \"" + op.column().name() + "\", which PostgreSQL would"
                        + " merge with the new one (or refuse, if its type differs): add the column under another name,"
                        + " or to each table with `sql` operations");
            }
        }
    }

    /**
     * A column added to a parent appears in every descendant (PostgreSQL adds it there): their models get it too, so
     * the new version's views of them show it, and {@code plan} says so.
     */
    public static void carryAddedColumn(TableModel table, TableModel.ColumnModel column, PlanContext ctx) {
        for (TableModel child : descendants(table, ctx)) {
            child.columns.add(TableModel.ColumnModel.added(column.name, column.type, column.notNull, column.defaultExpr));
            ctx.carries("inheritance child \"" + child.name + "\" of \"" + table.name + "\"", "gets column \""
                    + column.name + "\" from its parent (PostgreSQL adds it there with it), and its view in the new version shows it");
        }
    }

    /** Every table a statement on {@code table} recurses to: descendants in any schema, as lock claims. */
    public static List<TableLock> descendantLocks(TableModel table, LockMode mode) {
        if (table.live == null) return List.of();
        return table.live.inheritance().descendants().stream().map(r -> new TableLock(r.schema(), r.table(), mode)).toList();
    }

    private static List<TableModel> descendants(TableModel table, PlanContext ctx) {
        return table.live.inheritance().descendants().stream().filter(r -> r.schema().equals(ctx.schema))
                .map(r -> ctx.tables.get(r.table())).filter(java.util.Objects::nonNull).toList();
    }
}
