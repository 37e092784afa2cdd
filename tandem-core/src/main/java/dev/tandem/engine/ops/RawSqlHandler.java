package dev.tandem.engine.ops;

import dev.tandem.engine.OperationHandler;
import dev.tandem.engine.PlanContext;
import dev.tandem.engine.PlanContext.ExpandStage;
import dev.tandem.engine.PlanContext.RollbackStage;
import dev.tandem.migration.Operation.RawSql;

/**
 * SQL Tandem does not understand: run as written at expand, its {@code down} at rollback. Tandem cannot make it
 * lock-safe or keep the old version working across it; the plan marks its lock as unknown.
 */
public final class RawSqlHandler implements OperationHandler<RawSql> {

    @Override
    public void validate(RawSql op, PlanContext ctx) {
    }

    @Override
    public void expand(RawSql op, PlanContext ctx) {
        var probe = ctx.probes.get(op);
        var step = ctx.ddl.rawSql("raw SQL from " + op.location(), op.up());
        if (probe == null) step = step.withUnknownLocks(dev.tandem.engine.Step.NOT_PROBED + ": plan --no-probe");
        else if (probe.finished()) step = step.withMeasuredLocks(probe.locks());
        else step = step.withUnknownLocks(probe.unknownReason());
        ctx.expand(afterOthers(op, ctx) ? ExpandStage.RAW_AFTER : ExpandStage.RAW_FIRST, step);
        if (op.down() == null) {
            ctx.irreversible(step, "the sql operation at " + op.location() + " has no `down`, so rollback cannot undo it");
        }
    }

    @Override
    public void contract(RawSql op, PlanContext ctx) {
    }

    @Override
    public void rollback(RawSql op, PlanContext ctx) {
        if (op.down() != null) {
            ctx.rollbackFirst(afterOthers(op, ctx) ? RollbackStage.RAW_AFTER : RollbackStage.RAW,
                    ctx.ddl.rawSql("raw SQL down from " + op.location(), op.down()));
        }
    }

    /** Whether another kind of operation comes before this one: then it runs after what they add, as written. */
    private static boolean afterOthers(RawSql op, PlanContext ctx) {
        return ctx.source != null && ctx.source.operations().stream().takeWhile(o -> o != op).anyMatch(o -> !(o instanceof RawSql));
    }
}
