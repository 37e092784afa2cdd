package dev.tandem.engine.ops;

import dev.tandem.catalog.Catalog;
import dev.tandem.engine.Names;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.PlanContext.ContractStage;
import dev.tandem.engine.PlanContext.ExpandStage;
import dev.tandem.engine.TableModel;
import dev.tandem.engine.TableModel.ColumnModel;
import dev.tandem.migration.ColumnReferences;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.Operation.AlterColumn;
import dev.tandem.migration.SourceLocation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The user's objects over a column that a shadow column replaces (indexes, CHECK constraints, row-level security
 * policies), each carried to the shadow with the same definition, the column's references in it renamed, so that
 * neither version runs without it; or refused at plan, naming it, why, and what to do.
 *
 * <ul>
 *   <li>An index is built again CONCURRENTLY on the shadow at expand under a temporary name, and takes its name (or
 *       becomes its unique constraint, its REPLICA IDENTITY and CLUSTER marks included) once contract has dropped
 *       the old column with the old index.</li>
 *   <li>A CHECK is added NOT VALID on the shadow at expand, so the new version's writes are checked from then on,
 *       validated at contract before its point of no return, and takes its name after the old column is gone.</li>
 *   <li>A policy is altered to use the shadow in contract's transaction, just before the old column is dropped: the
 *       table is never without it, and the drop no longer depends on it.</li>
 * </ul>
 * Exclusion constraints are refused: one can only be added with a build under ACCESS EXCLUSIVE (it cannot be
 * attached to an index built concurrently).
 */
final class ShadowDependents {
    record Index(Catalog.Index index, String temporary, Catalog.IndexShape shape) {
    }

    record Check(Catalog.Constraint check, String temporary, String expression) {
    }

    record Policy(Catalog.Policy policy, String using, String withCheck) {
    }

    final List<Index> indexes = new ArrayList<>();
    final List<Check> checks = new ArrayList<>();
    final List<Policy> policies = new ArrayList<>();

    private final String tableName;
    private final String oldName;
    private final String shadow;

    private ShadowDependents(String tableName, String oldName, String shadow) {
        this.tableName = tableName;
        this.oldName = oldName;
        this.shadow = shadow;
    }

    /**
     * What of {@code table} depends on {@code column} (not yet shadowed), and how it is carried to {@code shadow};
     * refuses what cannot be.
     *
     * @param unique      the alter_column's {@code unique}: false drops the column's own uniqueness with the old column
     * @param notNullAfter whether the column is NOT NULL in the new version
     */
    static ShadowDependents of(PlanContext ctx, AlterColumn op, TableModel table, ColumnModel column, String shadow,
                               boolean notNullAfter) {
        Catalog.Column live = column.live;
        ShadowDependents d = new ShadowDependents(table.name, live.name(), shadow);
        SourceLocation at = op.location();
        String where = "column \"" + live.name() + "\" of \"" + table.name + "\"";
        // Other columns this migration already replaced: an object over two of them would be carried twice, each
        // copy on one old column that contract drops.
        List<String> otherShadowed = table.columns.stream().filter(c -> c != column && c.shadowed())
                .map(c -> c.oldPhysical).toList();
        Map<String, String> rename = Map.of(live.name(), ctx.dialect.quote(shadow));

        for (Catalog.Constraint c : table.live.constraints()) {
            if (c.type() == 'x' && mentions(c.columns(), c.definition(), live.name())) {
                throw new MigrationException(at, where + " is used by exclusion constraint \"" + c.name() + "\", which"
                        + " Tandem cannot carry to the column's new form: PostgreSQL builds an exclusion constraint only"
                        + " under ACCESS EXCLUSIVE on the whole table for the whole build (it cannot be attached to an"
                        + " index built concurrently). Drop it in an earlier migration (drop_constraint), and add it"
                        + " again after this one, with a `sql` operation, when the table may be locked");
            }
            if (c.type() != 'c' || !c.columns().contains(live.name())) continue;
            String expression = ctx.dialect.checkExpression(c.definition());
            if (expression == null) {
                throw new MigrationException(at, where + " is used by CHECK constraint \"" + c.name() + "\" ("
                        + c.definition() + "), which Tandem cannot carry to the column's new form (a NO INHERIT check);"
                        + " drop it in an earlier migration (drop_constraint) and add it again after this one");
            }
            refuseTwoShadowed(at, where, "CHECK constraint \"" + c.name() + "\"", c.columns(), otherShadowed);
            d.checks.add(new Check(c, Names.temporary(c.name()), renamed(expression, rename)));
        }
        for (Catalog.Index index : table.live.indexes()) {
            Catalog.IndexShape shape = index.shape();
            if (!index.columns().contains(live.name()) && !shapeMentions(shape, live.name())) continue;
            if (index.constraint() != null && isExclusion(table.live, index.constraint())) continue; // refused above
            boolean onlyUniqueness = index.unique() && index.columns().equals(List.of(live.name()))
                    && shape.predicate() == null;
            if (onlyUniqueness && Boolean.FALSE.equals(op.unique())) continue; // unique: false — it goes with the old column
            String what = "index \"" + index.name() + "\" on " + table.name;
            refuseTwoShadowed(at, where, what, indexColumns(index, table.live), otherShadowed);
            if (index.replicaIdentity() && !notNullAfter) {
                throw new MigrationException(at, where + " becomes nullable, but " + what + " is the table's REPLICA"
                        + " IDENTITY, which needs NOT NULL columns; set another replica identity in an earlier migration"
                        + " (ALTER TABLE ... REPLICA IDENTITY, in a `sql` operation), or keep the column NOT NULL");
            }
            if (index.unique() && shape.nullsNotDistinct() && index.columns().size() > 1) {
                // Expand builds the new form's index before the backfill, when the new form is NULL in every row: with
                // NULLS NOT DISTINCT, two rows alike in the other columns already collide.
                throw new MigrationException(at, where + " is in " + what + ", UNIQUE NULLS NOT DISTINCT over several"
                        + " columns: expand builds it on the new form before the backfill fills it, when that is NULL in"
                        + " every row, so rows alike in the other columns would collide. Drop it in an earlier migration"
                        + " (drop_index) and create it again after this one");
            }
            d.indexes.add(new Index(index, Names.temporary(index.name()), d.renamed(shape, rename)));
        }
        for (Catalog.Policy p : table.live.policies()) {
            boolean using = p.using() != null && ColumnReferences.mentions(p.using(), live.name());
            boolean check = p.withCheck() != null && ColumnReferences.mentions(p.withCheck(), live.name());
            if (!using && !check) continue;
            String what = "policy \"" + p.name() + "\" on " + table.name;
            for (String expression : new String[]{p.using(), p.withCheck()}) {
                if (expression != null && ColumnReferences.hasSubquery(expression)) {
                    throw new MigrationException(at, where + " is used by " + what + ", whose expression has a"
                            + " sub-select, where Tandem cannot tell this table's columns from another's; drop the policy"
                            + " in an earlier migration and create it again after this one (with `sql` operations), or"
                            + " move the sub-select into a function");
                }
            }
            List<String> mentioned = table.live.columns().stream().map(Catalog.Column::name)
                    .filter(n -> p.using() != null && ColumnReferences.mentions(p.using(), n)
                            || p.withCheck() != null && ColumnReferences.mentions(p.withCheck(), n)).toList();
            refuseTwoShadowed(at, where, what, mentioned, otherShadowed);
            d.policies.add(new Policy(p, using ? renamed(p.using(), rename) : null, check ? renamed(p.withCheck(), rename) : null));
            column.repointed.add(p.name());
        }
        return d;
    }

    /** Expand: the indexes and the checks on the shadow column, and the plan-time checks that they fit it. */
    void expand(PlanContext ctx, AlterColumn op, TableModel table, ColumnModel column) {
        String physical = table.physical;
        Map<String, String> rowTypes = new LinkedHashMap<>();
        table.live.columns().forEach(c -> rowTypes.put(c.name(), c.type()));
        rowTypes.put(shadow, column.type);
        for (Check c : checks) {
            ctx.check(ctx.at(op, "type"), "CHECK constraint \"" + c.check().name() + "\" of " + tableName
                    + " over the column's new form (drop it in an earlier migration and add one that fits after this one)",
                    c.expression(), List.of(), rowTypes, "boolean");
            ctx.expand(ExpandStage.CONSTRAINTS, ctx.ddl.addCheckNotValid(ctx.schema, physical, c.temporary(), c.expression()));
            if (c.check().comment() != null) {
                // Set on the new constraint now: the rename at contract keeps it.
                ctx.expand(ExpandStage.CONSTRAINTS, ctx.ddl.commentOnConstraint(ctx.schema, physical, c.temporary(), c.check().comment()));
            }
            ctx.carries("CHECK constraint \"" + c.check().name() + "\" on " + tableName, "added NOT VALID on the new"
                    + " form of " + oldName + " at expand, " + (c.check().validated() ? "validated and renamed at contract"
                    : "renamed at contract and left NOT VALID, as yours is"));
        }
        for (Index i : indexes) {
            String what = "index \"" + i.index().name() + "\" on " + tableName;
            ctx.indexChecks.add(new PlanContext.IndexCheck(ctx.at(op, "type"), what + " cannot be built on the new form of"
                    + " column \"" + oldName + "\"", "drop it in an earlier migration (drop_index) and create one that fits"
                    + " the new type after this one", physical, Map.of(shadow, column.type), i.shape(), i.index().unique()));
            if (i.index().unique()) ctx.uniqueIndexOver(physical, List.of(shadow));
            ctx.expand(ExpandStage.INDEXES, ctx.ddl.createIndex(ctx.schema, physical, i.temporary(), i.shape(), i.index().unique()));
            if (i.index().comment() != null) {
                ctx.expand(ExpandStage.INDEXES, ctx.ddl.commentOnIndex(ctx.schema, i.temporary(), i.index().comment()));
            }
            String marks = (i.index().replicaIdentity() ? ", and made the REPLICA IDENTITY again" : "")
                    + (i.index().clustered() ? ", and marked for CLUSTER again" : "");
            ctx.carries(what, "rebuilt CONCURRENTLY on the new form of " + oldName + " at expand, "
                    + (i.index().constraint() != null ? "made unique constraint \"" + i.index().constraint() + "\""
                    : "renamed") + " at contract" + marks);
        }
        for (Policy p : policies) {
            if (p.using() != null) {
                ctx.check(ctx.at(op, "type"), "policy \"" + p.policy().name() + "\" of " + tableName + ", USING over the"
                        + " column's new form", p.using(), List.of(), rowTypes, "boolean");
            }
            if (p.withCheck() != null) {
                ctx.check(ctx.at(op, "type"), "policy \"" + p.policy().name() + "\" of " + tableName + ", WITH CHECK over"
                        + " the column's new form", p.withCheck(), List.of(), rowTypes, "boolean");
            }
            ctx.carries("policy \"" + p.policy().name() + "\" on " + tableName, "pointed at the new form of " + oldName
                    + " in contract's transaction, just before the old column is dropped");
        }
    }

    /** Contract: validate the checks first, repoint the policies before the drop, names and marks after it. */
    void contract(PlanContext ctx, TableModel table) {
        String physical = table.physical;
        String finalTable = ctx.contractName(table);
        for (Check c : checks) {
            // A check the user left NOT VALID stays so: rows it never checked may break it.
            if (c.check().validated()) {
                ctx.contract(ContractStage.VALIDATE, ctx.ddl.validateConstraint(ctx.schema, physical, c.temporary()));
            }
            ctx.contract(ContractStage.FINALIZE, ctx.ddl.renameConstraint(ctx.schema, finalTable, c.temporary(), c.check().name()));
        }
        for (Policy p : policies) {
            ctx.contract(ContractStage.REPOINT, ctx.ddl.alterPolicy(ctx.schema, physical, p.policy().name(), p.using(), p.withCheck()));
        }
        for (Index i : indexes) {
            String name = i.index().constraint() != null ? i.index().constraint() : i.index().name();
            if (i.index().constraint() != null) {
                ctx.contract(ContractStage.FINALIZE, ctx.ddl.addUniqueUsingIndex(ctx.schema, finalTable, name, i.temporary()));
                // The constraint is made anew from the index: its comment is set again.
                String comment = table.live.constraints().stream().filter(k -> k.name().equals(name))
                        .map(dev.tandem.catalog.Catalog.Constraint::comment).filter(java.util.Objects::nonNull).findFirst().orElse(null);
                if (comment != null) ctx.contract(ContractStage.FINALIZE, ctx.ddl.commentOnConstraint(ctx.schema, finalTable, name, comment));
            } else {
                ctx.contract(ContractStage.FINALIZE, ctx.ddl.renameIndex(ctx.schema, finalTable, i.temporary(), name));
            }
            if (i.index().replicaIdentity()) {
                ctx.contract(ContractStage.FINALIZE, ctx.ddl.replicaIdentityUsingIndex(ctx.schema, finalTable, name));
            }
            if (i.index().clustered()) ctx.contract(ContractStage.FINALIZE, ctx.ddl.clusterOn(ctx.schema, finalTable, name));
        }
    }

    /** Whether a single-column unique index of the column is carried (so {@code unique: true} needs no new one). */
    boolean carriesUniqueness() {
        return indexes.stream().anyMatch(i -> i.index().unique() && i.shape().keys().size() == 1
                && i.shape().predicate() == null && shadow.equals(i.shape().keys().get(0).column()));
    }

    private Catalog.IndexShape renamed(Catalog.IndexShape s, Map<String, String> rename) {
        List<Catalog.IndexKey> keys = s.keys().stream().map(k -> new Catalog.IndexKey(
                oldName.equals(k.column()) ? shadow : k.column(),
                k.expression() == null ? null : ShadowDependents.renamed(k.expression(), rename),
                k.collation(), k.opclass(), k.opclassOptions(), k.descending(), k.nullsFirst())).toList();
        List<String> include = s.include().stream().map(c -> c.equals(oldName) ? shadow : c).toList();
        return new Catalog.IndexShape(s.method(), keys, include, s.nullsNotDistinct(), s.storage(), s.tablespace(),
                s.predicate() == null ? null : ShadowDependents.renamed(s.predicate(), rename));
    }

    private static String renamed(String expression, Map<String, String> rename) {
        return ColumnReferences.rename(expression, rename, Set.of()).text();
    }

    private static boolean shapeMentions(Catalog.IndexShape shape, String column) {
        if (shape.predicate() != null && ColumnReferences.mentions(shape.predicate(), column)) return true;
        return shape.keys().stream().anyMatch(k -> k.expression() != null && ColumnReferences.mentions(k.expression(), column));
    }

    /** Every column an index uses: keys, INCLUDE, and those its expressions and predicate mention. */
    private static List<String> indexColumns(Catalog.Index index, Catalog.Table table) {
        List<String> result = new ArrayList<>(index.columns());
        for (Catalog.Column c : table.columns()) {
            if (shapeMentions(index.shape(), c.name())) result.add(c.name());
        }
        return result;
    }

    private static boolean mentions(List<String> columns, String definition, String column) {
        return columns.contains(column) || ColumnReferences.mentions(definition, column);
    }

    private static boolean isExclusion(Catalog.Table table, String constraint) {
        return table.constraints().stream().anyMatch(c -> c.name().equals(constraint) && c.type() == 'x');
    }

    private static void refuseTwoShadowed(SourceLocation at, String where, String what, List<String> columns,
                                          List<String> otherShadowed) {
        for (String other : otherShadowed) {
            if (columns.contains(other)) {
                throw new MigrationException(at, where + " and column \"" + other + "\" are both altered by this"
                        + " migration, and " + what + " uses both; Tandem carries an object over one changed column at a"
                        + " time: alter them in two migrations");
            }
        }
    }
}
