package dev.tandem.engine;

import dev.tandem.migration.Operation;

/**
 * What Tandem knows about one kind of operation. The planner asks each operation of a migration, in file order,
 * the same questions; the answers are steps added to the phases of {@link PlanContext}.
 *
 * <p>{@code validate} checks the operation against the schema as the earlier operations left it, and records the
 * operation's effect on that schema; it throws {@link dev.tandem.migration.MigrationException} with the
 * operation's file and line. Backfill needs no method: it follows from the {@code backfill} expressions that
 * {@code validate} leaves on the columns.
 */
public interface OperationHandler<O extends Operation> {

    void validate(O op, PlanContext ctx);

    void expand(O op, PlanContext ctx);

    void contract(O op, PlanContext ctx);

    void rollback(O op, PlanContext ctx);
}
