package dev.tandem.engine;

import dev.tandem.catalog.Catalog;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Tables that logical replication publishes. Replication sends rows, not DDL: a subscriber's table must have every
 * column the publisher sends (its apply stops at a missing one), Tandem's shadow columns and backfill flag included,
 * and must take the contracted shape when the publisher's rows do. {@code plan} says so per table, with the
 * statements for the subscriber. What cannot work is refused: dropping a column a publication's column list or row
 * filter names (PostgreSQL refuses it), and losing the index that is the table's replica identity.
 */
public final class PublishedTables {
    private PublishedTables() {
    }

    /** Refuses {@code op} before it changes anything if it would drop what a publication or replica identity needs. */
    public static void check(Operation op, PlanContext ctx) {
        String tableName, column = null, index = null;
        if (op instanceof Operation.AlterColumn o) {
            tableName = o.table();
            column = o.column();
        } else if (op instanceof Operation.DropColumn o) {
            tableName = o.table();
            column = o.column();
        } else if (op instanceof Operation.DropIndex o) {
            tableName = ctx.catalog.indexToTable().get(o.name());
            index = o.name();
        } else if (op instanceof Operation.DropConstraint o) {
            tableName = o.table();
            index = o.name(); // a unique constraint's index has its name
        } else {
            return;
        }
        Optional<TableModel> found = tableName == null ? Optional.empty()
                : op instanceof Operation.DropIndex ? Optional.ofNullable(ctx.tables.get(tableName)) : ctx.findTable(tableName);
        if (found.isEmpty() || found.get().live == null) return;
        TableModel t = found.get();
        Catalog.Replication r = t.live.replication();
        String physical = column == null ? null : t.column(column).map(c -> c.physical).orElse(null);
        if (physical == null && column != null) return; // the handler names the unknown column
        for (Catalog.Publication p : r.publications()) {
            if (physical != null && p.usesColumns().contains(physical)) {
                throw new MigrationException(op.location(), p + " names column \"" + physical + "\" of table \"" + t.name
                        + "\" in its column list or row filter, and " + op.kind() + " has contract drop that column,"
                        + " which PostgreSQL refuses while a publication names it (and the column that replaces it would"
                        + " not be published). Take the column out of the publication first (ALTER PUBLICATION \""
                        + p.name() + "\" SET TABLE … without it, or without the row filter), by hand or in an earlier"
                        + " migration, and put the new column in after contract");
            }
        }
        // alter_column rebuilds the identity's index on the new form and marks it again in contract's transaction.
        if (r.identity() != 'i' || r.identityIndex() == null || op instanceof Operation.AlterColumn) return;
        String identityIndex = r.identityIndex();
        boolean lost = identityIndex.equals(index) || (physical != null && t.live.indexes().stream()
                .anyMatch(i -> i.name().equals(identityIndex) && i.columns().contains(physical)));
        if (lost) {
            throw new MigrationException(op.location(), "index \"" + identityIndex + "\" is the replica identity of"
                    + " table \"" + t.name + "\" (REPLICA IDENTITY USING INDEX), and " + op.kind() + " has contract drop"
                    + " it; PostgreSQL would then refuse every UPDATE and DELETE of the table while a publication"
                    + " publishes them. Give the table another replica identity first (an `sql` operation in an earlier"
                    + " migration: ALTER TABLE … REPLICA IDENTITY DEFAULT, or FULL), and choose the new index after contract");
        }
    }

    /** Adds to {@code plan}'s notices what every subscriber of each published table this migration changes needs. */
    public static void notices(PlanContext ctx) {
        for (TableModel t : ctx.tables.values()) {
            if (t.created()) {
                newTable(t, ctx);
                continue;
            }
            List<Catalog.Publication> pubs = t.live.replication().publications();
            if (pubs.isEmpty()) continue;
            String notice = subscriberSteps(t, pubs, ctx);
            if (notice != null) ctx.notice(notice);
        }
    }

    private static void newTable(TableModel t, PlanContext ctx) {
        List<Catalog.Publication> pubs = ctx.catalog.schemaPublications();
        if (pubs.isEmpty()) return;
        ctx.notice("new table " + new Catalog.Relation(ctx.schema, t.physical) + " will be published by "
                + names(pubs) + " as soon as expand creates it: before its first rows replicate, create it on every"
                + " subscriber of them, then run ALTER SUBSCRIPTION … REFRESH PUBLICATION there (the subscriber's apply"
                + " stops at a table it lacks).");
    }

    private static String subscriberSteps(TableModel t, List<Catalog.Publication> pubs, PlanContext ctx) {
        String schema = ctx.schema;
        var ddl = ctx.ddl;
        // A column list names the columns it sends; columns added later are never in it.
        boolean sendsNewColumns = pubs.stream().anyMatch(p -> p.columnList() == null);
        List<String> before = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        for (TableModel.ColumnModel c : t.columns) {
            if (c.live == null || c.shadowed()) {
                before.add(ddl.addColumn(schema, t.physical, c.physical, c.type).sql());
                if (c.shadowed()) dropped.add(c.oldPhysical);
            }
        }
        if (t.needsBackfill()) before.add(ddl.addColumn(schema, t.physical, Names.DONE_COLUMN, "boolean").sql());
        // In the order expand adds them.
        List<String> expandOrder = ctx.expandStage(PlanContext.ExpandStage.COLUMNS).stream().map(Step::sql).toList();
        before.sort(java.util.Comparator.comparingInt(expandOrder::indexOf));
        for (TableModel.DroppedColumn d : t.droppedColumns) dropped.add(d.physical());
        if (t.needsBackfill()) dropped.add(Names.DONE_COLUMN);
        List<String> after = new ArrayList<>();
        if (t.droppedInNewVersion) {
            after.add("DROP TABLE " + ctx.dialect.qualify(schema, t.physical) + " (once you no longer need its rows there)");
        } else {
            for (String d : dropped) after.add(ddl.dropColumn(schema, t.physical, d, List.of()).sql());
            for (TableModel.ColumnModel c : t.columns) {
                if (!c.physical.equals(c.name)) after.add(ddl.renameColumn(schema, t.physical, c.physical, c.name).sql());
            }
            if (t.renamed()) after.add(ddl.renameTable(schema, t.physical, t.name).sql());
        }
        if (before.isEmpty() && after.isEmpty()) return null;
        StringBuilder s = new StringBuilder("table " + new Catalog.Relation(schema, t.physical) + " is published by "
                + names(pubs) + ": logical replication copies rows, not schema changes, so do these on every subscriber"
                + " of " + (pubs.size() == 1 ? "it" : "them") + " (the subscriber's table has the same name).");
        if (!before.isEmpty()) {
            if (sendsNewColumns) {
                s.append(" Before `tandem expand` (its apply stops at a column its table lacks; the backfill's updates of"
                        + " every row replicate too): ").append(String.join("; ", before)).append(';');
            } else {
                s.append(" Before expand nothing: its column list does not send the columns expand adds.");
            }
        }
        if (!after.isEmpty()) {
            s.append(" After `tandem contract`, rows arrive in the new shape, so the subscriber must switch at that point"
                    + " of the stream: pause writes to the table, wait until the subscriber has applied everything"
                    + " (pg_stat_subscription), ALTER SUBSCRIPTION … DISABLE, contract, let writes resume, run ")
                    .append(String.join("; ", after)).append("; then ALTER SUBSCRIPTION … ENABLE.");
        }
        if (!before.isEmpty() && sendsNewColumns) {
            s.append(" After `tandem rollback` instead, the columns added before expand may be dropped again.");
        }
        s.append(" The version schemas are views, which are not replicated: on a subscriber, applications read the"
                + " tables themselves.");
        return s.toString();
    }

    private static String names(List<Catalog.Publication> pubs) {
        Set<String> out = new LinkedHashSet<>();
        for (Catalog.Publication p : pubs) out.add(p.toString());
        return String.join(", ", out);
    }
}
