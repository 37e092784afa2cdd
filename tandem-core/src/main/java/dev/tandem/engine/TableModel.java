package dev.tandem.engine;

import dev.tandem.catalog.Catalog;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One table as the new version will see it, built up operation by operation while planning, together with where
 * each of its columns lives physically until contract.
 */
public final class TableModel {
    /** The table's name in the database until contract (its old name; for new tables, its only name). */
    public final String physical;
    /** The live table before expand, or null for a table this migration creates. */
    public final Catalog.Table live;
    /** What the previous version calls the table: its physical name, unless that version's views alias it. */
    public final String previousName;
    /** What the previous version calls each live column, by physical name. */
    private final java.util.Map<String, String> previousColumnNames = new java.util.HashMap<>();
    /** What the new version calls the table. */
    public String name;
    public boolean droppedInNewVersion;
    public final List<ColumnModel> columns = new ArrayList<>();
    /** Physical columns the new version no longer has, with the expression that fills them on new-version inserts. */
    public final List<DroppedColumn> droppedColumns = new ArrayList<>();

    public record DroppedColumn(String physical, String down) {
    }

    TableModel(String physical, Catalog.Table live, dev.tandem.catalog.VersionNames previous) {
        this.physical = physical;
        this.previousName = previous.table(physical);
        this.name = previousName;
        this.live = live;
        if (live != null) {
            for (Catalog.Column c : live.columns()) {
                previousColumnNames.put(c.name(), previous.column(physical, c.name()));
                columns.add(ColumnModel.existing(c, previousColumnNames.get(c.name())));
            }
        }
    }

    /** What the previous version calls the live column {@code physical} (dropped by this migration or not). */
    public String previousName(Catalog.Column column) {
        return previousColumnNames.getOrDefault(column.name(), column.name());
    }

    public boolean created() {
        return live == null;
    }

    public Optional<ColumnModel> column(String name) {
        return columns.stream().filter(c -> c.name.equals(name)).findFirst();
    }

    /**
     * The tables that the live foreign keys of this table reference, only those over {@code column} when it is
     * not null: dropping the table or column drops those keys' triggers on the referenced tables, and locks them.
     */
    public List<String> referencedTables(String column) {
        if (live == null) return List.of();
        return live.constraints().stream().filter(c -> c.type() == 'f')
                .filter(c -> column == null || c.columns().contains(column))
                .map(Catalog.Constraint::referencedTable).filter(java.util.Objects::nonNull).distinct().toList();
    }

    /** Whether the new version calls the table otherwise than the previous one does. */
    public boolean renamed() {
        return !name.equals(previousName);
    }

    /** Whether this migration changes anything about the table's rows (so it needs a sync trigger). */
    public boolean needsSync() {
        // A column dropped without `down` reads as NULL (or its default) to the old version: nothing to translate,
        // so it costs the application's writes no trigger call.
        return live != null && (droppedColumns.stream().anyMatch(d -> d.down() != null)
                || columns.stream().anyMatch(ColumnModel::changesData));
    }

    public boolean needsBackfill() {
        return live != null && columns.stream().anyMatch(c -> c.backfill != null);
    }

    /**
     * One column of the new version.
     */
    public static final class ColumnModel {
        /** The name the new version uses. */
        public String name;
        /** The physical column that holds the new form (a shadow column while the type or constraints change). */
        public String physical;
        /** The physical column the old version reads, or null for a column this migration adds. */
        public final String oldPhysical;
        /** The column's type in the new version, as the catalog prints it or as the file writes it. */
        public String type;
        public boolean notNull;
        public String defaultExpr;
        public final Catalog.Column live;
        /** Sync expression over the old row that computes {@link #physical} when the old version writes, or null. */
        public String up;
        /** Expression over the old row that fills {@link #physical} for existing rows, or null for no backfill. */
        public String backfill;
        /** Expression over the new row that computes {@link #oldPhysical} when the new version writes, or null. */
        public String down;
        /**
         * Whether the new form has no default of its own until contract and a new version's insert that leaves it
         * NULL takes {@link #up} of the value the previous column's default gave (a sequence drawn from once).
         */
        public boolean takesPreviousDefault;
        /** The user's policies on this column that contract points at its new form before dropping the old one. */
        public final List<String> repointed = new ArrayList<>();

        private ColumnModel(String name, String physical, String oldPhysical, String type, boolean notNull,
                            String defaultExpr, Catalog.Column live) {
            this.name = name;
            this.physical = physical;
            this.oldPhysical = oldPhysical;
            this.type = type;
            this.notNull = notNull;
            this.defaultExpr = defaultExpr;
            this.live = live;
        }

        /** A column the table has, which the previous version calls {@code previousName}. */
        static ColumnModel existing(Catalog.Column c, String previousName) {
            return new ColumnModel(previousName, c.name(), c.name(), c.type(), c.notNull(), c.defaultExpr(), c);
        }

        public static ColumnModel added(String name, String type, boolean notNull, String defaultExpr) {
            return new ColumnModel(name, name, null, type, notNull, defaultExpr, null);
        }

        public boolean shadowed() {
            return oldPhysical != null && !oldPhysical.equals(physical);
        }

        public boolean changesData() {
            return up != null || down != null || backfill != null;
        }
    }
}
