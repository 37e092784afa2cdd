package dev.tandem.engine.ops;

import dev.tandem.catalog.Catalog;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.PlanContext.ContractStage;
import dev.tandem.engine.PlanContext.ExpandStage;
import dev.tandem.engine.TableModel;
import dev.tandem.engine.TableModel.ColumnModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a changed column carries besides its type and constraints, given to its shadow column so that after contract
 * the column is what it was: its collation (when the shadow column is added, if the new type takes one), default,
 * comment, statistics target, attribute options, storage and compression (at expand: catalog-only statements), and
 * the sequence it owns (at contract, before the old column is dropped, which would drop the sequence with it).
 *
 * <p>A default that draws from a sequence is not given to the shadow column until contract: the previous column's
 * default fires on every insert of either version (the new version's view does not show that column, so its
 * inserts leave it to its default), and a second default would draw a second value. The sync trigger gives the new
 * form the value the previous default drew instead ({@link ColumnModel#takesPreviousDefault}).
 */
final class ColumnAttributes {
    private final PlanContext ctx;
    private final TableModel table;
    private final ColumnModel column;
    private final boolean defaultChanged;
    private final String what;

    ColumnAttributes(PlanContext ctx, TableModel table, ColumnModel column, boolean defaultChanged) {
        this.ctx = ctx;
        this.table = table;
        this.column = column;
        this.defaultChanged = defaultChanged;
        this.what = "column " + table.name + "." + column.live.name();
    }

    /** Adds the shadow column and gives it what the column carries; every statement is catalog only. */
    void expand() {
        Catalog.Attributes kept = column.live.attributes();
        String schema = ctx.schema, physical = table.physical, shadow = column.physical;
        boolean collate = kept.collation() != null && collatable(column.type);
        ctx.expand(ExpandStage.COLUMNS, ctx.addNewColumn(physical, shadow, column.type, column.notNull,
                collate ? kept.collationSchema() : null, collate ? kept.collation() : null));
        if (collate) ctx.carries(what + " collation \"" + kept.collation() + "\"", "given to its new form as expand adds it");
        if (column.defaultExpr != null) {
            if (!defaultChanged && column.live.defaultDraws()) {
                column.takesPreviousDefault = true;
                ctx.carries(what + " default " + column.defaultExpr, "drawn once per insert of either version: its new"
                        + " form takes the value the previous column's default drew, and the default itself at contract");
            } else {
                ctx.expand(ExpandStage.COLUMNS, ctx.ddl.setDefault(schema, physical, shadow, column.defaultExpr));
                if (!defaultChanged) ctx.carries(what + " default " + column.defaultExpr, "given to its new form at expand");
            }
        }
        List<String> settings = new ArrayList<>();
        if (kept.comment() != null) settings.add("comment");
        if (kept.statistics() != null) settings.add("statistics target " + kept.statistics());
        if (!kept.options().isEmpty()) settings.add("options " + String.join(", ", kept.options()));
        if (!settings.isEmpty()) {
            String how = String.join(", ", settings);
            ctx.expand(ExpandStage.COLUMNS, ctx.ddl.setColumnSettings(schema, physical, shadow, kept.comment(), kept.statistics(),
                    kept.options(), "give the new form of " + what + " its " + how));
            ctx.carries(what + " " + how, "given to its new form at expand");
        }
        if (kept.storage() != null || kept.compression() != null) {
            List<String> storage = new ArrayList<>();
            if (kept.storage() != null) storage.add("storage");
            if (kept.compression() != null) storage.add("compression");
            String how = String.join(" and ", storage);
            ctx.expand(ExpandStage.COLUMNS, ctx.ddl.setColumnStorage(schema, physical, shadow, kept.storage(), kept.compression(),
                    "give the new form of " + what + " its " + how + " (unless its type can only be stored plain)"));
            ctx.carries(what + " " + how, "given to its new form at expand, unless the new type can only be stored plain");
        }
        Catalog.Sequence sequence = column.live.sequence();
        if (sequence != null) {
            ctx.carries("sequence " + sequence.name() + " of " + what, "stays the one sequence both versions draw from; it"
                    + " belongs to the new column from contract on" + (widens(sequence) ? ", as " + integerType(column.type) : ""));
        }
    }

    /**
     * In contract's one transaction, before the old column is dropped: the sequence moves to the new column (dropping
     * the old one would drop it), the drawn default is set on it, and a sequence of a widened column widens with it.
     */
    void contract() {
        Catalog.Sequence sequence = column.live.sequence();
        if (sequence != null) {
            ctx.contract(ContractStage.DROP_SYNC, ctx.ddl.sequenceOwnedBy(sequence.schema(), sequence.name(), ctx.schema,
                    table.physical, column.physical));
            if (widens(sequence)) {
                ctx.contract(ContractStage.FINALIZE, ctx.ddl.sequenceAs(sequence.schema(), sequence.name(), integerType(column.type)));
            }
        }
        if (column.takesPreviousDefault) {
            ctx.contract(ContractStage.DROP_SYNC, ctx.ddl.setDefault(ctx.schema, table.physical, column.physical, column.defaultExpr));
        }
    }

    /**
     * Whether the column's new integer type is wider than its sequence's, which would otherwise still stop at the old
     * type's limit. A narrower type leaves the sequence as it is: its values may already be past the new limit.
     */
    private boolean widens(Catalog.Sequence sequence) {
        return width(integerType(column.type)) > width(sequence.type());
    }

    private static int width(String integerType) {
        if (integerType == null) return 0;
        return switch (integerType) {
            case "smallint" -> 2;
            case "integer" -> 4;
            case "bigint" -> 8;
            default -> 0;
        };
    }

    /** The integer type a type name means, as a sequence's {@code AS} writes it, or null for other types. */
    private static String integerType(String type) {
        return switch (type.trim().toLowerCase(Locale.ROOT)) {
            case "smallint", "int2" -> "smallint";
            case "integer", "int", "int4" -> "integer";
            case "bigint", "int8" -> "bigint";
            default -> null;
        };
    }

    /** Whether the type (as written, with modifiers or array brackets) takes a collation, per the catalog. */
    private boolean collatable(String type) {
        String t = type.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        String bare = t.replaceAll("\\s*\\([^)]*\\)", "");
        return ctx.catalog.collatableTypes().contains(t) || ctx.catalog.collatableTypes().contains(bare);
    }
}
