package dev.tandem.engine.ops;

import dev.tandem.catalog.Catalog;
import dev.tandem.engine.Names;
import dev.tandem.engine.OperationHandler;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.PlanContext.ContractStage;
import dev.tandem.engine.PlanContext.ExpandStage;
import dev.tandem.engine.PlanContext.RollbackStage;
import dev.tandem.engine.TableModel;
import dev.tandem.engine.TableModel.ColumnModel;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation.AlterColumn;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A change of type, nullability, default, uniqueness, check or reference. Never ALTER COLUMN TYPE on a live
 * table: the new form goes into a shadow column kept in step by the sync trigger ({@code up} for old writers,
 * {@code down} back for new ones), filled by the backfill, and renamed into place at contract. Indexes, unique
 * constraints and foreign keys of the column are rebuilt on the shadow column so nothing is lost at contract.
 */
public final class AlterColumnHandler implements OperationHandler<AlterColumn> {

    /** A foreign key of the old column, rebuilt on the shadow column under a temporary name. */
    record Carried(String original, String temporary, Catalog.Constraint foreignKey) {
    }

    /** @param dependents its indexes, checks and policies, carried to the shadow column */
    record Altered(TableModel table, ColumnModel column, List<Carried> carried, ShadowDependents dependents) {
    }

    @Override
    public void validate(AlterColumn op, PlanContext ctx) {
        TableModel table = ctx.table(op.table(), op.location());
        if (table.created()) {
            throw new MigrationException(op.location(), "table \"" + op.table()
                    + "\" is created by this migration: change the column in its create_table");
        }
        ColumnModel column = ctx.column(table, op.column(), op.location());
        if (column.live == null || column.shadowed()) {
            throw new MigrationException(op.location(), "column \"" + op.column() + "\" is added or already altered in"
                    + " this migration; combine the changes into one alter_column, or use a later migration");
        }
        Catalog.Column live = column.live;
        String where = "column \"" + op.column() + "\" of \"" + op.table() + "\"";
        if (table.live.primaryKey().contains(live.name())) {
            throw new MigrationException(op.location(), where + " is part of the primary key; altering key columns is not supported");
        }
        if (live.isIdentity()) {
            // Both versions would have to draw from one sequence, but PostgreSQL gives an identity column a sequence
            // of its own that no other column can share, nor take over at contract.
            throw new MigrationException(op.location(), where + " is an identity column, whose sequence PostgreSQL ties"
                    + " to that one column, so its new form could not draw from the same sequence while both versions run."
                    + " In an earlier migration, turn it into a column with a sequence default (in one `sql` operation:"
                    + " CREATE SEQUENCE ... OWNED BY the column, setval to where the identity is, ALTER COLUMN ... DROP"
                    + " IDENTITY, ALTER COLUMN ... SET DEFAULT nextval(...)), which alter_column carries; or change it with"
                    + " ALTER TABLE in a maintenance window");
        }
        boolean typeChanges = op.type() != null && !sameType(op.type(), live.type());
        if (typeChanges && (op.up() == null || op.down() == null)) {
            throw new MigrationException(op.location(), where + " changes type from " + live.type() + " to " + op.type()
                    + ": give both `up` (old value → new type, over the previous version's row) and `down` (new value →"
                    + " old type, over the new version's row)");
        }
        boolean becomesNotNull = Boolean.FALSE.equals(op.nullable()) && !live.notNull();
        if (becomesNotNull && op.up() == null) {
            throw new MigrationException(op.location(), where + " becomes NOT NULL: give `up`, an expression over the"
                    + " previous version's row that never returns NULL (e.g. coalesce(" + live.name() + ", ...))");
        }
        boolean becomesNullable = Boolean.TRUE.equals(op.nullable()) && live.notNull();
        if (becomesNullable && op.down() == null) {
            // The previous version's column stays NOT NULL until contract: a NULL the new version writes needs a value there.
            throw new MigrationException(op.location(), where + " becomes nullable, but the previous version still"
                    + " requires a value: give `down`, an expression over the new version's row that never returns NULL"
                    + " (e.g. coalesce(" + op.column() + ", '')), for what the previous version reads where the new one wrote NULL");
        }
        for (Catalog.Constraint c : table.live.constraints()) {
            if (c.type() == 'f' && c.columns().contains(live.name()) && c.columns().size() > 1) {
                throw new MigrationException(op.location(), where + " is part of the multi-column foreign key \""
                        + c.name() + "\", which Tandem cannot carry to the column's new form (its other columns keep"
                        + " their old form); drop it in an earlier migration (drop_constraint) and add it again after"
                        + " this one (add_constraint)");
            }
        }
        for (var other : ctx.catalog.tables().values()) {
            for (Catalog.Constraint c : other.constraints()) {
                if (c.type() == 'f' && c.definition().matches("(?s).*REFERENCES\\s+(\\S+\\.)?\"?" +
                        java.util.regex.Pattern.quote(table.physical) + "\"?\\s*\\(.*")
                        && c.definition().contains(live.name())) {
                    throw new MigrationException(op.location(), where + " may be referenced by foreign key \"" + c.name()
                            + "\" of table \"" + other.name() + "\", which Tandem cannot carry (a foreign key must"
                            + " reference a unique index of the type it has); drop it in an earlier migration"
                            + " (drop_constraint on " + other.name() + ") and add it again after this one (add_constraint)");
                }
            }
        }
        boolean notNullAfter = op.nullable() != null ? !op.nullable() : live.notNull();
        ShadowDependents dependents = ShadowDependents.of(ctx, op, table, column, Names.shadowColumn(live.name()), notNullAfter);
        List<Carried> carried = new ArrayList<>();
        for (Catalog.Constraint c : table.live.constraints()) {
            if (c.type() == 'f' && c.columns().equals(List.of(live.name()))) {
                carried.add(new Carried(c.name(), Names.temporary(c.name()), c));
            }
        }

        column.physical = Names.shadowColumn(live.name());
        if (op.type() != null) column.type = op.type();
        if (op.nullable() != null) column.notNull = !op.nullable();
        if (op.defaultChanged()) column.defaultExpr = op.defaultExpr();
        ctx.remember(op, new Altered(table, column, carried, dependents));
    }

    private static boolean sameType(String written, String live) {
        return normalise(written).equals(normalise(live));
    }

    private static String normalise(String type) {
        String t = type.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        return switch (t) {
            case "int", "int4" -> "integer";
            case "int8" -> "bigint";
            case "int2" -> "smallint";
            case "bool" -> "boolean";
            case "varchar" -> "character varying";
            case "float8", "double" -> "double precision";
            case "float4" -> "real";
            case "timestamptz" -> "timestamp with time zone";
            case "timestamp" -> "timestamp without time zone";
            default -> t.replace("varchar(", "character varying(");
        };
    }

    @Override
    public void expand(AlterColumn op, PlanContext ctx) {
        Altered a = ctx.recall(op);
        ColumnModel column = a.column();
        String table = a.table().physical;
        // Expressions over the previous version's row use that version's names (which its views may alias).
        String oldName = a.table().previousName(column.live);
        // Defaults are written here, once every operation has run, because they use the final names.
        column.up = op.up() != null ? op.up() : ctx.dialect.quote(oldName);
        column.backfill = column.up;
        column.down = op.down() != null ? op.down() : ctx.dialect.quote(column.name);
        ctx.checkOverRows(ctx.at(op, "up"), "up", column.up, a.table(), column.type);
        ctx.check(ctx.at(op, "down"), "down", column.down, ctx.newRow(a.table()), ctx.newRowTypes(a.table()), column.live.type());
        if (column.defaultExpr != null) {
            // A default the column keeps must fit its new type too (e.g. 1 does not fit a boolean): say so now.
            ctx.check(ctx.at(op, op.defaultChanged() ? "default" : "type"), op.defaultChanged() ? "default" : "the column's current default (set `default:` for the new type)",
                    column.defaultExpr, List.of(), java.util.Map.of(), column.type);
        }
        if (op.check() != null) {
            ctx.check(ctx.at(op, "check"), "check", op.check(), ctx.newRow(a.table()), ctx.newRowTypes(a.table()), "boolean");
        }

        new ColumnAttributes(ctx, a.table(), column, op.defaultChanged()).expand();
        if (column.notNull) ctx.notNullAtExpand(a.table(), column, Names.notNullCheck(op.column(), ctx.migration));
        if (op.references() != null) {
            var target = Columns.referencedColumn(ctx, op.references(), op.location());
            ctx.expand(ExpandStage.CONSTRAINTS, ctx.ddl.addForeignKeyNotValid(ctx.schema, table, foreignKeyName(a),
                    List.of(column.physical), target.table().physical, List.of(target.column().physical), op.references().onDelete()));
        }
        for (Carried c : a.carried()) {
            // The referenced table from the catalog, in its own schema (it need not be the migrated one).
            var ref = c.foreignKey().reference();
            ctx.expand(ExpandStage.CONSTRAINTS, ctx.ddl.addForeignKeyNotValid(ctx.schema, table, c.temporary(),
                    List.of(column.physical), ref.schema(), ref.table(), ref.columns(), ref.onDelete()));
            if (c.foreignKey().comment() != null) {
                ctx.expand(ExpandStage.CONSTRAINTS, ctx.ddl.commentOnConstraint(ctx.schema, table, c.temporary(), c.foreignKey().comment()));
            }
            ctx.carries("foreign key \"" + c.original() + "\" on " + a.table().name, "added NOT VALID on the new form of "
                    + oldName + " at expand, validated and renamed at contract");
        }
        a.dependents().expand(ctx, op, a.table(), column);
        if (Boolean.TRUE.equals(op.unique()) && !a.dependents().carriesUniqueness()) {
            ctx.uniqueIndexOver(table, List.of(column.physical));
            ctx.expand(ExpandStage.INDEXES, ctx.ddl.createIndex(ctx.schema, table, uniqueName(a), List.of(column.physical), true, "btree"));
        }
    }

    private static String checkName(Altered a) {
        return Names.constraint(a.table().name, a.column().name, "check");
    }

    private static String foreignKeyName(Altered a) {
        return Names.constraint(a.table().name, a.column().name, "fkey");
    }

    private static String uniqueName(Altered a) {
        return Names.constraint(a.table().name, a.column().name, "key");
    }

    @Override
    public void contract(AlterColumn op, PlanContext ctx) {
        Altered a = ctx.recall(op);
        ColumnModel column = a.column();
        String physical = a.table().physical;
        String finalTable = ctx.contractName(a.table());
        String nn = Names.notNullCheck(op.column(), ctx.migration);
        new ColumnAttributes(ctx, a.table(), column, op.defaultChanged()).contract();
        if (column.notNull) ctx.notNullAtContract(a.table(), column, nn);
        if (op.check() != null) {
            // The check is written with the new version's names, which the table has only after the renames.
            ctx.rowChecks.add(new dev.tandem.engine.Plan.RowCheck(finalTable, "check `" + op.check() + "` of column "
                    + column.name, op.check()));
            ctx.contract(ContractStage.LATE_CONSTRAINTS, ctx.ddl.addCheckNotValid(ctx.schema, finalTable, checkName(a), op.check()));
            ctx.contract(ContractStage.LATE_CONSTRAINTS, ctx.ddl.validateConstraint(ctx.schema, finalTable, checkName(a)));
        }
        if (op.references() != null) {
            ctx.contract(ContractStage.VALIDATE, ctx.ddl.validateForeignKey(ctx.schema, physical, foreignKeyName(a),
                    referenced(op, ctx)));
        }
        for (Carried c : a.carried()) {
            ctx.contract(ContractStage.VALIDATE, ctx.ddl.validateForeignKey(ctx.schema, physical, c.temporary(),
                    c.foreignKey().referencedTable()));
            ctx.contract(ContractStage.FINALIZE, ctx.ddl.renameConstraint(ctx.schema, finalTable, c.temporary(), c.original()));
        }
        a.dependents().contract(ctx, a.table());
        if (Boolean.TRUE.equals(op.unique()) && !a.dependents().carriesUniqueness()) {
            ctx.contract(ContractStage.FINALIZE, ctx.ddl.addUniqueUsingIndex(ctx.schema, finalTable, uniqueName(a), uniqueName(a)));
        }
    }

    @Override
    public void rollback(AlterColumn op, PlanContext ctx) {
        Altered a = ctx.recall(op);
        // The shadow column takes its constraints and indexes with it, and its foreign keys' triggers on other tables.
        List<String> referenced = new ArrayList<>();
        if (op.references() != null) referenced.add(referenced(op, ctx));
        for (Carried c : a.carried()) referenced.add(c.foreignKey().referencedTable());
        ctx.rollback(RollbackStage.DROP_COLUMNS, ctx.ddl.dropColumn(ctx.schema, a.table().physical, a.column().physical, referenced));
    }

    /** The physical table the shadow column's new foreign key references. */
    private static String referenced(AlterColumn op, PlanContext ctx) {
        return Columns.referencedColumn(ctx, op.references(), op.location()).table().physical;
    }
}
